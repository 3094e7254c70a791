"""Resumable parser states on disk: one JSON document per session file, beside the index db.

A parser keeps everything it needs to go on in its attributes (see parsers/base.py), and
`parser.snapshot()` gives them as plain data, so the state of a parser after reading up to byte
N lets the next scan read only from N on. The format is data only (JSON, read back through a
fixed schema): a file system can hand relay anything, and reading a state must never run what it
holds (an older relay pickled its parsers, so another user who could write into session-state/
could have run code as the user). The folder is 0700 and each file 0600 whatever the umask; a
folder that belongs to someone else is never read from nor written to.
A state is trusted only when its version, path and offset match what the index row says;
anything else (a missing, stale, foreign or corrupt file) means "parse from byte 0", never an
error. Bump VERSION whenever a parser's attributes or output change: every file is then re-read
once.
"""
import json
import os

from relay import paths

try:
    # Compiled, optional (the zipapp has none): a full parser's state is most of a cold scan's
    # writes, and orjson encodes it about ten times faster than json. Whatever orjson refuses
    # (ints past 64 bits, lone surrogates, keys that are not strings, deep nesting) and a parser
    # that read NaN or Infinity (orjson writes them as null) go through json, as before.
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None  # type: ignore[assignment]

# hashlib is imported where a state is touched: `relay report` with nothing changed never does,
# and its import (OpenSSL) costs more than the report's queries. For the same reason the parsers
# are not imported here: the parser at hand brings its own encoder (parser.plain).

VERSION = 3      # 2: the Claude Code client is "claude"; 3: JSON states (pickles are removed, never read)
# session_files.parser_version of a file read by the usage-first pass (reports): its message rows
# are current and its state is that pass's (parsers/claude_usage.py), but it has no session_index
# row, so a scan reads it again in full.
USAGE_ONLY = -VERSION
_HEAD = b"relay-session-state 3\n"
_SUFFIX = ".json"
_LEGACY = ".pickle"


def state_dir(db_path):
    return os.path.join(os.path.dirname(os.path.abspath(db_path)), "session-state")


def _file(directory, path):
    import hashlib
    return os.path.join(directory, hashlib.sha1(path.encode("utf-8", "surrogatepass")).hexdigest() + _SUFFIX)


def _ours(directory):
    try:
        return paths.own_private_dir(directory)
    except OSError:
        return False


def save(directory, path, parser):
    """Write atomically (tmp + rename): a crash mid-write leaves the old state or none.
    Returns the bytes written; 0 when the disk refused, which only costs a re-parse later."""
    target = _file(directory, path)
    tmp = f"{target}.{os.getpid()}.tmp"
    try:
        data = _encode([VERSION, path, parser.offset, type(parser).__name__, parser.snapshot()], parser)
    except (TypeError, ValueError, RecursionError):
        remove(directory, path)      # not representable (an int past 4,300 digits): re-parse next time
        return 0
    try:
        if not _ours(directory):
            return 0
        with os.fdopen(paths.open_private(tmp), "wb") as f:
            f.write(_HEAD)
            f.write(data)
        os.replace(tmp, target)
    except OSError:
        remove(directory, path)
        return 0
    return len(data)


def _encode(doc, parser):
    if orjson is not None and not parser.exotic:
        try:
            # dataclasses pass through to parser.plain, which writes them as value lists
            return orjson.dumps(doc, default=parser.plain, option=orjson.OPT_PASSTHROUGH_DATACLASS)
        except TypeError:
            pass
    return json.dumps(doc, default=parser.plain, ensure_ascii=False, separators=(",", ":"),
                      check_circular=False).encode("utf-8", "surrogatepass")


def _decode(data, parser):
    if orjson is not None:
        try:
            return orjson.loads(data)
        except ValueError:
            pass
    return json.loads(data.decode("utf-8", "surrogatepass"), parse_constant=parser._constant)


def load(directory, path, offset, parser):
    """`parser` (a fresh one of the file's kind) restored to the state saved for `path` at byte
    `offset`, or None."""
    try:
        if not _ours(directory):
            return None
        with open(_file(directory, path), "rb") as f:
            if f.read(len(_HEAD)) != _HEAD:
                return None
            version, saved_path, saved_offset, kind, data = _decode(f.read(), parser)
        if (version, saved_path, saved_offset, kind) != (VERSION, path, offset, type(parser).__name__):
            return None
        parser.restore(data)
    except Exception:  # noqa: BLE001 - any unreadable state only costs a re-parse
        return None
    return parser if parser.offset == offset else None


def remove(directory, path):
    try:
        os.remove(_file(directory, path))
    except OSError:
        pass


def remove_legacy(directory):
    """Delete the pickled states an older relay left: they are never loaded, and a pickle is
    code. Returns how many were removed."""
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        if entry.name.endswith(_LEGACY) or (_LEGACY + "." in entry.name and entry.name.endswith(".tmp")):
            try:
                os.remove(entry.path)
                removed += 1
            except OSError:
                pass
    return removed
