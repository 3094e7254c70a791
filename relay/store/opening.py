"""Opening the user's store (SQLite in the data dir, or PostgreSQL from database_url), with a
RelayError that says what to do when it cannot be opened. Re-exported by relay.store."""
import os
import sqlite3
from contextlib import contextmanager

from relay import config, paths
from relay.errors import RelayError
from relay.store.db import Store


def open_user_store(url=None):
    """The store in the user's data dir, or on the PostgreSQL server of `url` (default: the
    database_url setting); a RelayError with a hint when it cannot be opened."""
    path = paths.db_path()
    url = config.load().database_url if url is None else url
    if url:
        return _open_server(path, url)
    try:
        return Store(path)
    except (sqlite3.Error, OSError) as exc:
        if path.parent.is_dir() and not os.access(path.parent, os.W_OK):   # EROFS even for root
            raise RelayError(f"cannot open relay's database {path}: its directory is read-only",
                             hint="point RELAY_HOME at a writable directory, or make this one writable") from exc
        if _damaged(exc):
            raise RelayError(f"relay's database {path} is damaged: {exc}",
                             hint="`relay doctor` checks it (PRAGMA integrity_check) and says what is wrong; "
                                  "to start afresh, move the file aside and relay creates a new one") from exc
        raise RelayError(f"cannot open relay's database {path}: {exc}",
                         hint="check that RELAY_HOME points at a writable directory") from exc


def _open_server(path, url):
    try:
        return Store(path, url=url)
    except ImportError as exc:
        raise RelayError(str(exc), hint="or unset database_url to use SQLite in the data dir") from exc
    except Exception as exc:   # psycopg's errors (a server down, a refused login); the URL may hold a password
        raise RelayError(f"cannot open the PostgreSQL database of database_url: {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}",
                         hint="check that the server is up and the URL's user may connect") from exc


# SQLite's primary codes for a file that is not (or no longer) a database: SQLITE_CORRUPT, SQLITE_NOTADB.
_DAMAGED_CODES = {11, 26}


def _damaged(exc):
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _DAMAGED_CODES
    return any(t in str(exc) for t in ("not a database", "malformed"))


@contextmanager
def user_store():
    """open_user_store() for one command, closed at the end."""
    store = open_user_store()
    try:
        yield store
    finally:
        store.close()
