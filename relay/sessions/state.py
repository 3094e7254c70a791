"""Resumable parser states on disk: one pickled parser per session file, beside the index db.

A parser keeps everything it needs to go on in its attributes (see parsers/base.py), so the
pickle of a parser after reading up to byte N lets the next scan read only from N on. A state
is trusted only when its version, path and offset match what the index row says; anything else
(a missing, stale or corrupt file) means "parse from byte 0", never an error. The files live in
relay's own data dir and are written by relay only, which is what makes unpickling them safe.
Bump VERSION whenever a parser's attributes or output change: every file is then re-read once.
"""
import os

# hashlib and pickle are imported where a state is touched: `relay report` with nothing
# changed never does, and their imports (OpenSSL) cost more than its queries.

VERSION = 2      # 2: the Claude Code client is "claude", no longer "claude-code"
_HEAD = b"relay-session-state\n"


def state_dir(db_path):
    return os.path.join(os.path.dirname(os.path.abspath(db_path)), "session-state")


def _file(directory, path):
    import hashlib
    return os.path.join(directory, hashlib.sha1(path.encode("utf-8", "surrogatepass")).hexdigest() + ".pickle")


def save(directory, path, parser):
    """Write atomically (tmp + rename): a crash mid-write leaves the old state or none.
    Returns the bytes written; 0 when the disk refused, which only costs a re-parse later."""
    import pickle
    target = _file(directory, path)
    tmp = f"{target}.{os.getpid()}.tmp"
    data = pickle.dumps((VERSION, path, parser.offset, parser), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        os.makedirs(directory, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(_HEAD)
            f.write(data)
        os.replace(tmp, target)
    except OSError:
        remove(directory, path)
        return 0
    return len(data)


def load(directory, path, offset):
    """The parser saved for `path` at byte `offset`, or None."""
    import pickle
    try:
        with open(_file(directory, path), "rb") as f:
            if f.read(len(_HEAD)) != _HEAD:
                return None
            version, saved_path, saved_offset, parser = pickle.load(f)
    except Exception:  # noqa: BLE001 - any unreadable state only costs a re-parse
        return None
    if version != VERSION or saved_path != path or saved_offset != offset or parser.offset != offset:
        return None
    return parser


def remove(directory, path):
    try:
        os.remove(_file(directory, path))
    except OSError:
        pass
