"""SQLite storage: one writer fed by a queue, readers on their own connections (WAL)."""
import os
import sqlite3
from contextlib import contextmanager

from relay import paths
from relay.errors import RelayError
from relay.store.db import Store

__all__ = ["Store", "open_user_store", "user_store"]


def open_user_store():
    """The store in the user's data dir; a RelayError with a hint when it cannot be opened."""
    path = paths.db_path()
    try:
        return Store(path)
    except (sqlite3.Error, OSError) as exc:
        if path.parent.is_dir() and not os.access(path.parent, os.W_OK):   # EROFS even for root
            raise RelayError(f"cannot open relay's database {path}: its directory is read-only",
                             hint="point RELAY_HOME at a writable directory, or make this one writable") from exc
        raise RelayError(f"cannot open relay's database {path}: {exc}",
                         hint="check that RELAY_HOME points at a writable directory") from exc


@contextmanager
def user_store():
    """open_user_store() for one command, closed at the end."""
    store = open_user_store()
    try:
        yield store
    finally:
        store.close()
