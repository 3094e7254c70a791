"""Bring one session up to date: resume or restart each file's parser, read only new bytes,
save the parser states, analyse the whole session. Runs in a pool worker or in-process.

Per file, against the index row of the last scan:
  same version, inode, and offset <= size, state file matching, and the 64 bytes before the
  offset unchanged    -> resume: read from the stored offset (only the new bytes)
  anything else       -> parse from byte 0 (shrunk, rotated, rewritten, new, state lost)
Gemini's older `.json` chats are single documents and are always read whole; "alt" files (a
Gemini resume stub) are tracked but not parsed. Counters say exactly what was read, so tests
can prove that an unchanged file costs no read and an append costs only the appended bytes.
"""
import time
from dataclasses import dataclass, field

from relay.sessions import state
from relay.sessions.regular import open_regular

# The one deliberate exception to "relay imports at the top" (tests/test_architecture.py lists it):
# the parsers, the models and the analysis are imported where a session is refreshed. A warm
# `relay report` finds nothing changed and never needs them; at the top they would add ~40 ms of
# imports to every run (python -X importtime). No cycle hides behind them.

FINGERPRINT = 64
# The usage-first pass saves its state only for files written in the last day: a history is mostly
# sessions nobody appends to any more, and should one be resumed, that pass reads the file again
# from 0 at a few hundred MB/s. Saving every state costs a cold report about 15% of its CPU.
USAGE_STATE_AGE = 24 * 3600
# ... and only for files of at least this size: below it that pass reads the whole file again in
# about the time it takes to create its state file (which is paid on every change, resumed or
# not): measured at ~1.4 ms a state against ~1.7 ms a MB read, and a third of a cold report's CPU
# on a fresh 76 MB history went to states before this floor.
USAGE_STATE_MIN_BYTES = 1 << 20
# The full parser's state holds the whole session model (about 0.6 bytes per byte of history) and
# writing it was a seventh of a cold scan's CPU. It is kept for files written in the last week: an
# append to an older file (a session resumed after a week) re-reads that file once, at about 2.5
# times the cost of loading its state, and keeps a state from then on.
STATE_AGE = 7 * 24 * 3600


def _keeps_state(task, sf, parser):
    """Whether this read's parser state is worth saving (the rules above)."""
    age = time.time() - sf.mtime_ns / 1e9
    if task.usage_only:
        return parser.offset >= USAGE_STATE_MIN_BYTES and age < USAGE_STATE_AGE
    return age < STATE_AGE


@dataclass
class Task:
    source: object                    # discover.Source
    prior: dict                       # path -> session_files row of the last scan (or absent)
    state_dir: str
    usage_only: bool = False          # reports: message rows only (Claude Code: parsers/claude_usage.py)


@dataclass
class Counters:
    groups: int = 0
    files_parsed: int = 0             # files whose new bytes were read
    files_resumed: int = 0            # ... of which from a stored offset
    files_restarted: int = 0          # ... of which from 0 although the file was indexed before
    bytes_read: int = 0               # session-file bytes read by parsers
    bytes_verified: int = 0           # bytes read to check a file was only appended to
    files_skipped: int = 0            # unreadable, or gone since discovery
    state_bytes: int = 0              # parser state written (JSON)

    def add(self, other):
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Result:
    key: str
    files: list = field(default_factory=list)     # session_files rows
    session: dict = None                          # session_index row
    usage_only: bool = False                      # no session_index row: files and messages only
    messages: list = field(default_factory=list)  # message_usage rows (relay.sessions.usage_rows)
    counters: Counters = field(default_factory=Counters)


def _fingerprint(f, offset, counters):
    if offset <= 0:
        return None
    start = max(offset - FINGERPRINT, 0)
    f.seek(start)
    data = f.read(offset - start)
    counters.bytes_verified += len(data)
    import hashlib
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _new_parser(task, sf):
    if task.usage_only and task.source.provider == "claude":
        from relay.sessions.parsers.claude_usage import ClaudeUsageParser
        return ClaudeUsageParser(sf.path)
    from relay.sessions.parsers import parser_for
    return parser_for(task.source.provider, sf.path)


def _version(task):
    return state.USAGE_ONLY if task.usage_only else state.VERSION


def _resume(sf, prior, task, f, counters):
    """(parser, start offset): a stored parser that can go on, or a fresh one at 0."""
    fresh = _new_parser(task, sf)
    if prior is None:
        return fresh, 0
    usable = (fresh.appendable and prior["parser_version"] == _version(task) and prior["inode"] == sf.inode
              and prior["offset"] <= sf.size)
    if usable:
        # A parser of its own: a state that fails halfway through restore() leaves it unusable.
        parser = state.load(task.state_dir, sf.path, prior["offset"], _new_parser(task, sf))
        if parser is not None and _fingerprint(f, prior["offset"], counters) == prior["tail_hash"]:
            counters.files_resumed += 1
            return parser, prior["offset"]
    counters.files_restarted += 1
    return fresh, 0


def _parse(sf, task, counters):
    from relay.sessions.parsers import read_into
    with open_regular(sf.path) as f:
        parser, start = _resume(sf, task.prior.get(sf.path), task, f, counters)
        f.seek(start)
        read = read_into(parser, f)
        counters.bytes_read += read
        counters.files_parsed += 1
        tail_hash = _fingerprint(f, parser.offset, counters)
    if parser.appendable and _keeps_state(task, sf, parser):
        counters.state_bytes += state.save(task.state_dir, sf.path, parser)
    elif parser.appendable:
        state.remove(task.state_dir, sf.path)      # an older state must never pass for this read
    row = _file_row(sf, task, offset=parser.offset, tail_hash=tail_hash)
    row["size"] = start + read      # what was seen, which may be past the discovery stat
    return parser, row


def _file_row(sf, task, offset=0, tail_hash=None):
    return {"path": sf.path, "session_key": task.source.key, "provider": task.source.provider, "role": sf.role,
            "size": sf.size, "mtime_ns": sf.mtime_ns, "inode": sf.inode, "offset": offset, "tail_hash": tail_hash,
            "parser_version": _version(task), "scanned_at": time.time()}


def refresh(task):
    """Parse what changed in one session and analyse it; a file that vanished meanwhile is skipped."""
    from relay.models import Session
    from relay.sessions import usage_rows
    src, out = task.source, Result(key=task.source.key, usage_only=task.usage_only)
    out.counters.groups = 1
    main, subagents = None, []
    for sf in src.files:
        if sf.role == "alt":
            out.files.append(_file_row(sf, task))
            continue
        try:
            parser, row = _parse(sf, task, out.counters)
        except OSError:
            out.counters.files_skipped += 1
            continue
        out.files.append(row)
        session = parser.result()
        if sf.role == "main":
            main = session
        else:
            subagents.append(session)
    if main is None and not subagents:
        return out
    if main is None:
        main = Session(provider=src.provider, session_id=subagents[0].session_id, path="")
    main.subagents = subagents
    out.messages = usage_rows.rows(src, main, {sf.path: sf.mtime_ns / 1e9 for sf in src.files})
    if task.usage_only:
        return out
    main.extra["other_files"] = [sf.path for sf in src.files if sf.role == "alt"]
    from relay.sessions import analysis
    out.session = analysis.row(src, main)
    return out


def preload(usage_only):
    """Import what refresh() will need, in a parent about to fork its pool: each worker then
    inherits the modules instead of importing them again, once per worker."""
    from relay.sessions import usage_rows  # noqa: F401
    if usage_only:
        from relay.sessions.parsers import claude_usage  # noqa: F401
    from relay.sessions import parsers  # noqa: F401
    if not usage_only:
        from relay.sessions import analysis  # noqa: F401


def refresh_many(tasks):
    """A pool's unit of work: several small sessions per round trip."""
    return [refresh(task) for task in tasks]
