"""`relay statusline` without click: Claude Code's statusLine command. Reads the session's status
JSON on stdin and prints one line: model, context fill, 5h/7d quota with resets, session and
today's cost, cache hit rate, the guard's tier as a color and a short alert.

relay.__main__ calls `main` directly for `relay statusline` with the options below, so the line
does not pay for click and the command group (about a third of its start-up); `--help` and
anything unexpected go through the click command in relay.cli.statusline, which calls `run`.

It runs after every assistant message, so it never waits and never fails loudly: the database is
opened read-only with a 100 ms lock budget, a missing or locked one prints what the JSON alone
gives plus a short note, garbage on stdin prints what can be printed, and every path exits 0
(Claude Code blanks the line on a non-zero exit). `relay init --statusline` installs it.
"""
import os
import sys
import time

from relay import config, datadir, guard, jsonlite, times
from relay.errors import ConfigError
from relay.present import statusline as view

BUSY_MS = 100
STATE_FILE = "statusline-totals.json"   # per session: running totals and the last data read, see gather
STATES = 20
FALLBACK = "relay: status unavailable"
# A database file written this recently may be written again within the same tick of the file
# system's clock (coarse on Linux, 2 s on FAT), leaving its stat unchanged: its state is not reused.
SETTLE_S = 2.0


def read_status(stream):
    """The status JSON object from `stream`, {} for anything else (a terminal, garbage, a list)."""
    if stream is None or stream.isatty():
        return {}
    try:
        data = jsonlite.loads(stream.read(1 << 20) or "{}")
    except (ValueError, UnicodeDecodeError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def _thresholds():
    try:
        return guard.thresholds_from(config.load())
    except ConfigError:            # a broken config.toml must not blank the status line
        return guard.thresholds_from(config.load(environ={}, config_file=os.devnull))


def _states(path):
    """{session id: state} from the state file, {} when it is missing or unreadable."""
    try:
        with open(path, "rb") as fh:
            states = jsonlite.loads(fh.read())
    except (OSError, ValueError):
        return {}
    return states if isinstance(states, dict) else {}


def _running_state(states, session_id):
    """This session's running totals, else the most recently drawn session's (today's total goes
    on from it; relay.costs.today.running sums the new session whole)."""
    if not states:
        return None
    state = states.get(session_id or "") or list(states.values())[-1]
    return state if isinstance(state, dict) else None


def _save_state(path, session_id, state):
    """Keep the running totals of the most recently drawn sessions; a failed write only costs
    the next run a full sum. Written whole and renamed, as several sessions draw at once."""
    states = _states(path)
    states.pop(session_id or "", None)
    states[session_id or ""] = state
    states = dict(list(states.items())[-STATES:])
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(jsonlite.dumps(states))
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def signature(db):
    """[mtime_ns, size, inode] of the database and of its WAL file (None for a missing WAL), which
    every commit changes; None when there is no database or a file changed within SETTLE_S."""
    sig, wall = [], time.time()
    for name in (db, db + "-wal"):
        try:
            info = os.stat(name)
        except OSError:
            if name == db:
                return None
            sig.append(None)
            continue
        if wall - info.st_mtime < SETTLE_S:
            return None
        sig.append([info.st_mtime_ns, info.st_size, info.st_ino])
    return sig


def gather(status, now=None, db=None):
    """The view data for `status`, reading relay's database at `db` (default: the user's).

    When this session's state says what the database held at a signature that still matches,
    and it is still the same day, the line is drawn from that state without opening the database:
    no sqlite3, no readers, no price table. Anything else reads the database (statusline_reads.measure
    keeps that read to the new rows) and stores what it read with the signature taken before."""
    now = time.time() if now is None else now
    thresholds = _thresholds()
    db = os.fspath(db) if db else datadir.database()
    state_path = os.path.join(os.path.dirname(db), STATE_FILE)
    session_id = view.session_of(status)
    states = _states(state_path)
    sig = signature(db)
    mine = states.get(session_id or "")
    if (sig is not None and isinstance(mine, dict) and mine.get("db") == sig
            and mine.get("since") == times.start_of_day(now) and isinstance(mine.get("measured"), dict)):
        return view.statusline(status, mine["measured"], thresholds, now)
    return _read(status, now, db, thresholds, session_id, _running_state(states, session_id), sig, state_path)


def _read(status, now, db, thresholds, session_id, state, sig, state_path):
    # The readers load here, not at the top: a line drawn from its state needs none of them
    # (sqlite3 alone is ~8 ms of a loaded machine's start-up).
    import sqlite3

    from relay.costs import prices
    from relay.present import statusline_reads
    from relay.store.readonly import ReadOnly
    try:
        store = ReadOnly(db, busy_ms=BUSY_MS)
    except FileNotFoundError:
        return view.statusline(status, None, thresholds, now, database="no database")
    except sqlite3.Error:
        return view.statusline(status, None, thresholds, now, database="database unreadable")
    try:
        measured, state = statusline_reads.measure(store, session_id, prices.load(), now, state)
    except sqlite3.Error as exc:
        state_name = "database busy" if "locked" in str(exc) or "busy" in str(exc) else "database unreadable"
        return view.statusline(status, None, thresholds, now, database=state_name)
    finally:
        store.close()
    _save_state(state_path, session_id, {**state, "db": sig, "measured": measured})
    return view.statusline(status, measured, thresholds, now)


def run(fmt=None, no_color=False, as_json=False, stdin=None, out=None, now=None, db=None):
    """Print the line (or its data as JSON) for the status JSON on `stdin`; never raises."""
    stdin = sys.stdin if stdin is None else stdin
    out = sys.stdout if out is None else out
    try:
        now = time.time() if now is None else now
        data = gather(read_status(stdin), now, db)
        if as_json:
            import json
            text = json.dumps(data, ensure_ascii=False, default=str)
        else:
            color = not no_color and not os.environ.get("NO_COLOR")
            text = view.line(data, now, fmt, color=color) or FALLBACK
    except Exception:               # the one place a bug must not become a traceback in the prompt
        text = FALLBACK
    out.write(text + "\n")
    out.flush()


def parse(argv):
    """The options of `relay statusline` as run's keywords, or None for anything else (--help, a
    typo), which then goes through click for its help text and error message."""
    options, args = {}, list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--no-color":
            options["no_color"] = True
        elif arg == "--json":
            options["as_json"] = True
        elif arg == "--format" and args:
            options["fmt"] = args.pop(0)
        elif arg.startswith("--format="):
            options["fmt"] = arg.partition("=")[2]
        else:
            return None
    return options


def main(argv):
    """Fast entry from relay.__main__; False when click should handle `argv` instead."""
    options = parse(argv)
    if options is None:
        return False
    run(**options)
    return True
