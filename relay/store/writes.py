"""Write tasks: each `record_*` returns fn(conn) for the store's writer queue."""
import getpass
import json
import socket

from relay.models import Exchange, validate_exchange


def _origin():
    try:
        user = getpass.getuser()
    except (KeyError, OSError):   # a uid without a passwd entry (some containers)
        user = None
    return socket.gethostname(), user


# Who writes: the machine and OS user of this relay, on every exchange and delegation row.
ORIGIN = _origin()

_EXCHANGE_COLUMNS = (
    "id", "ts", "provider", "method", "path", "model", "session_id", "client", "status", "stream",
    "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens", "cache_read_input_tokens", "reasoning_tokens", "stop_reason",
    "message_id", "request_id", "ttfb_ms", "duration_ms", "outcome", "error", "ratelimit",
    "request_bytes", "response_bytes", "cli", "invalid", "machine", "os_user",
)


def _exchange_row(ex: Exchange):
    # The last line of defence: whatever path built `ex`, its row can be written and summed.
    validate_exchange(ex)
    row = ex.to_dict()
    row["stream"] = int(bool(ex.stream))
    row["ratelimit"] = json.dumps(ex.ratelimit, sort_keys=True, default=str)
    row["invalid"] = json.dumps(ex.invalid, sort_keys=True) if ex.invalid else None
    row["machine"], row["os_user"] = ORIGIN[0], ex.person or ORIGIN[1]
    return tuple(row[c] for c in _EXCHANGE_COLUMNS)


_PLACEHOLDERS = ", ".join("?" for _ in _EXCHANGE_COLUMNS)
_INSERT = f"INSERT OR IGNORE INTO exchanges ({', '.join(_EXCHANGE_COLUMNS)}) VALUES ({_PLACEHOLDERS})"
_UPSERT = f"INSERT OR REPLACE INTO exchanges ({', '.join(_EXCHANGE_COLUMNS)}) VALUES ({_PLACEHOLDERS})"


def exchange_record(ex: Exchange):
    """The exchange's row as a JSON-ready dict (the journal's line)."""
    return dict(zip(_EXCHANGE_COLUMNS, _exchange_row(ex)))


_REPLAY = (f"INSERT INTO exchanges ({', '.join(_EXCHANGE_COLUMNS)}) VALUES ({_PLACEHOLDERS}) "
           f"ON CONFLICT(id) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in _EXCHANGE_COLUMNS if c != "id")
           + " WHERE exchanges.outcome IS NULL OR exchanges.outcome = 'interrupted'")


def replay_exchange(record):
    """A journal line back into its row, unless that row already finished; returns fn(conn) ->
    1 when the row was written (missing or left open), else 0."""
    row = tuple(record.get(c) for c in _EXCHANGE_COLUMNS)
    return lambda conn: conn.execute(_REPLAY, row).rowcount


def record_exchange_start(ex: Exchange):
    """The row that exists from the start; a finish that was queued first is not overwritten."""
    row = _exchange_row(ex)
    return lambda conn: conn.execute(_INSERT, row)


def record_exchange_finish(ex: Exchange):
    row = _exchange_row(ex)
    return lambda conn: conn.execute(_UPSERT, row)


_EDIT_COLUMNS = ("tier", "strategy", "decision", "action", "chars_removed", "tokens_removed", "bytes_removed",
                 "cost_delta", "note")


def record_prune_edits(ex: Exchange, edits):
    """Every edit a pruning stage planned for this exchange, applied or not, with its decision."""
    rows = [(ex.id, ex.ts, ex.session_id, *(e.get(c) for c in _EDIT_COLUMNS)) for e in edits]
    sql = (f"INSERT INTO prune_edits (exchange_id, ts, session_id, {', '.join(_EDIT_COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in range(3 + len(_EDIT_COLUMNS)))})")
    return lambda conn: conn.executemany(sql, rows)


SAVINGS_COLUMNS = ("exchange_id", "ts", "session_id", "tier", "model",
                   *(f"{side}_{kind}" for side in ("before", "after")
                     for kind in ("input", "cache_read", "cache_write_5m", "cache_write_1h")))


def record_prune_savings(row):
    """One request's measured pruning saving (relay/proxy/stages/prune/savings.py row())."""
    values = tuple(row[c] for c in SAVINGS_COLUMNS)
    sql = (f"INSERT INTO prune_savings ({', '.join(SAVINGS_COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in SAVINGS_COLUMNS)})")
    return lambda conn: conn.execute(sql, values)


def mark_unfinished(outcome="interrupted", reason="relay stopped before the exchange ended", ids=None, mine=False,
                    people=()):
    """Rows a stopped or killed relay left open can never finish: say so instead of leaving NULL.
    ids: only these rows (a relay stopping marks its own; another may share the database).
    mine: only rows of this machine and user (a shared database holds other relays' open rows),
    or of this machine and one of `people` (the persons of its access tokens name their rows)."""
    def task(conn):
        sql = "UPDATE exchanges SET outcome = ?, error = COALESCE(error, ?) WHERE outcome IS NULL"
        if ids is None and mine:
            users = [ORIGIN[1], *sorted(people)]
            return conn.execute(sql + f" AND machine = ? AND os_user IN ({', '.join('?' for _ in users)})",
                                (outcome, reason, ORIGIN[0], *users)).rowcount
        if ids is None:
            return conn.execute(sql, (outcome, reason)).rowcount
        return sum(conn.execute(sql + " AND id = ?", (outcome, reason, i)).rowcount for i in ids)
    return task


DELEGATION_COLUMNS = ("id", "task_id", "attempt", "ts", "task", "cli", "strategy", "cwd", "status", "exit_code",
                      "duration_ms", "output_bytes", "input_tokens", "output_tokens", "total_tokens", "error",
                      "machine", "os_user")


def record_delegation(row):
    """One delegation attempt (a dict with DELEGATION_COLUMNS) as relay.orch.delegate built it."""
    values = tuple(row.get(c) for c in DELEGATION_COLUMNS[:-2]) + ORIGIN
    sql = (f"INSERT OR REPLACE INTO delegations ({', '.join(DELEGATION_COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in DELEGATION_COLUMNS)})")
    return lambda conn: conn.execute(sql, values)
