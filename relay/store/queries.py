"""Read functions returning models or plain dicts; every reader (API, pages, MCP, TUI) uses these."""
from relay import jsonlite

# The token columns of an exchange row, named as relay.models.Usage's fields (a test holds them
# equal). Spelled out rather than read off Usage so that the SQL-only readers (the totals, the
# quota headers, the status line) do not load the models' dataclasses, ~15 ms of a status line.
_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_creation_5m_input_tokens",
                 "cache_creation_1h_input_tokens", "cache_read_input_tokens", "reasoning_tokens")
# A row that reported any tokens: the rows that cost money (costs.report and the SQL totals agree on it).
USED_TOKENS = "(" + " + ".join(f"COALESCE({f}, 0)" for f in _USAGE_FIELDS) + ") > 0"


def decode_ratelimit(text):
    """The stored rate-limit headers as a dict; {} for an empty or unreadable value."""
    try:
        headers = jsonlite.loads(text or "{}")
    except ValueError:
        return {}
    return headers if isinstance(headers, dict) else {}


# Columns of an exchange row that are not fields of the model: PostgreSQL's explicit rowid, and who wrote it.
_NOT_MODEL = ("rowid", "machine", "os_user")


def _exchange(row):
    from relay.models import Exchange, Usage
    data = dict(row)
    for key in _NOT_MODEL:
        data.pop(key, None)
    usage = Usage(**{k: data.pop(k) or 0 for k in _USAGE_FIELDS})
    data["stream"] = bool(data["stream"])
    data["ratelimit"] = decode_ratelimit(data["ratelimit"])
    return Exchange(usage=usage, **data)


def where(*conditions):
    """(" WHERE a = ? AND ...", args) from (sql, value) pairs, skipping those whose value is None
    or empty; ("", []) when none apply."""
    kept = [(sql, value) for sql, value in conditions if value not in (None, "")]
    if not kept:
        return "", []
    return " WHERE " + " AND ".join(sql for sql, _ in kept), [value for _, value in kept]


def list_exchanges(conn, limit=50, session_id=None, before=None, provider=None):
    """Newest first."""
    clause, args = where(("session_id = ?", session_id), ("ts < ?", before), ("provider = ?", provider))
    sql = "SELECT * FROM exchanges" + clause + " ORDER BY ts DESC, rowid DESC LIMIT ?"
    args.append(int(limit))
    return [_exchange(r) for r in conn.execute(sql, args)]


def get_exchange(conn, exchange_id):
    row = conn.execute("SELECT * FROM exchanges WHERE id = ?", (exchange_id,)).fetchone()
    return _exchange(row) if row else None


def list_sessions(conn, limit=100):
    """Per session seen by the proxy: first/last seen, requests, token sums by kind, models."""
    return _sessions(conn, "WHERE session_id IS NOT NULL", (), limit)


def list_sessions_by_id(conn, session_ids):
    """list_sessions rows for just these session ids."""
    ids = list(session_ids)
    if not ids:
        return []
    return _sessions(conn, f"WHERE session_id IN ({', '.join('?' * len(ids))})", ids, len(ids))


def _sessions(conn, clause, args, limit):
    sums = ", ".join(f"SUM({f}) AS {f}" for f in _USAGE_FIELDS)
    rows = conn.execute(f"""
        SELECT session_id, MIN(ts) AS first_seen, MAX(ts) AS last_seen, COUNT(*) AS requests,
               GROUP_CONCAT(DISTINCT model) AS models, MAX(cli) AS cli, {sums}
        FROM exchanges {clause}
        GROUP BY session_id ORDER BY last_seen DESC LIMIT ?""", (*args, int(limit)))
    out = []
    for row in rows:
        data = dict(row)
        tokens = {f: data.pop(f) or 0 for f in _USAGE_FIELDS}
        models = data.pop("models")
        out.append({**data, "models": sorted(set(models.split(","))) if models else [], "tokens": tokens})
    return out


def counts(conn):
    row = conn.execute("SELECT COUNT(*), COUNT(DISTINCT session_id), SUM(outcome IS NULL) FROM exchanges").fetchone()
    return {"requests": row[0], "sessions": row[1], "in_flight": row[2] or 0}


def prune_report(conn, session_id=None, since=None):
    """Pruning edits summed per tier, strategy and decision: what was removed or would have been,
    in bytes and estimated tokens, and the estimated cost delta in input-token units."""
    clause, args = where(("session_id = ?", session_id), ("ts >= ?", since))
    rows = conn.execute(f"""
        SELECT tier, strategy, decision, COUNT(*) AS edits, COUNT(DISTINCT exchange_id) AS requests,
               SUM(bytes_removed) AS bytes_removed, SUM(tokens_removed) AS tokens_removed,
               SUM(cost_delta) AS cost_delta
        FROM prune_edits {clause} GROUP BY tier, strategy, decision ORDER BY tokens_removed DESC""", args)
    return [dict(r) for r in rows]


def prune_savings(conn, session_id=None, since=None):
    """The measured savings of pruned requests (table prune_savings), one row each, oldest first:
    prices apply per request (a long prompt is billed at the long rates), so relay/costs sums them."""
    clause, args = where(("session_id = ?", session_id), ("ts >= ?", since))
    return [dict(r) for r in conn.execute(f"SELECT * FROM prune_savings {clause} ORDER BY ts, exchange_id", args)]


def list_usage(conn, since=None):
    """Finished exchanges that reported tokens (the rows that cost money), oldest first."""
    clause, args = where(("ts >= ?", since))
    sql = ("SELECT * FROM exchanges" + (clause + " AND" if clause else " WHERE")
           + f" outcome IS NOT NULL AND {USED_TOKENS} ORDER BY ts, rowid")
    return [_exchange(r) for r in conn.execute(sql, args)]


def list_finished(conn, since=None, provider=None):
    """Finished exchanges (any status, with or without tokens) since `since`, oldest first."""
    clause, args = where(("ts >= ?", since), ("provider = ?", provider))
    sql = ("SELECT * FROM exchanges" + (clause + " AND" if clause else " WHERE")
           + " outcome IS NOT NULL ORDER BY ts, rowid")
    return [_exchange(r) for r in conn.execute(sql, args)]


def _recent_usage_rows(conn, columns, limit, session_id):
    clause, args = where(("session_id = ?", session_id))
    sql = (f"SELECT {columns} FROM exchanges" + (clause + " AND" if clause else " WHERE")
           + f" outcome IS NOT NULL AND {USED_TOKENS} ORDER BY ts DESC, rowid DESC LIMIT ?")
    return conn.execute(sql, args + [int(limit)])


def recent_usage(conn, limit=50, session_id=None):
    """Finished exchanges that reported tokens, newest first (the turns readers list)."""
    return [_exchange(r) for r in _recent_usage_rows(conn, "*", limit, session_id)]


def last_prompt(conn, session_id=None):
    """{model, prompt tokens} of the newest exchange recent_usage would list first, or None:
    what the status line's context fill needs, without building an Exchange."""
    row = _recent_usage_rows(conn, "model, COALESCE(input_tokens, 0) + COALESCE(cache_creation_input_tokens, 0)"
                                   " + COALESCE(cache_read_input_tokens, 0)", 1, session_id).fetchone()
    return {"model": row[0], "prompt": row[1]} if row else None


def last_turn(conn, session_id):
    """A session's newest captured turn (a history_turns row), or None. Here rather than in
    relay.store.history_queries (which re-exports it) so that the status line's MCP segment reads
    it without loading the blob and body readers."""
    return conn.execute("SELECT * FROM history_turns WHERE session_id = ? ORDER BY turn DESC LIMIT 1",
                        (session_id,)).fetchone()


def count_since(conn, since):
    """Requests started at or after `since` (epoch seconds) and those still open."""
    row = conn.execute("SELECT COUNT(*), SUM(outcome IS NULL) FROM exchanges WHERE ts >= ?", (since,)).fetchone()
    return {"requests_today": row[0], "in_flight": row[1] or 0}


def last_exchange(conn, session_id):
    rows = list_exchanges(conn, limit=1, session_id=session_id)
    return rows[0] if rows else None
