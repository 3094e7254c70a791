"""Session files are opened only when they are regular files.

Another program writes the CLIs' session dirs; a FIFO, socket or device named like a session file
would make a plain open() block forever (a FIFO waits for a writer) and with it `relay scan`, or a
served page. Discovery skips what is not a regular file (one log line each), and every open goes
through `open_regular`, which cannot block: the file is opened O_NONBLOCK and checked with fstat
on the open descriptor (a file swapped for a FIFO after the stat is refused too).
"""
import os
import stat

_warned: set[str] = set()


def is_regular(st, path):
    """True for a regular file's stat; else False, logged once per path."""
    if stat.S_ISREG(st.st_mode):
        return True
    if path not in _warned:
        _warned.add(path)
        # imported here: a cold `relay report` would otherwise import logging for nothing
        import logging
        logging.getLogger(__name__).warning(
            "skipped %s: not a regular file (a FIFO, socket or device named like a session file)", path)
    return False


def open_regular(path):
    """The file opened for binary reading, or OSError when it is not a regular file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not is_regular(os.fstat(fd), str(path)):
            raise OSError(f"{path}: not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
