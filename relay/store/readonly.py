"""A read-only look at relay's database for short-lived readers that must never wait or write:
`relay statusline` runs after every Claude Code message, with or without a relay running.

No migration, no writer thread, no file created: a missing database stays missing, and a lock
held past `busy_ms` is an error the caller turns into a fallback instead of a wait.
`connect` (every SQLite connection of relay, the writer's too) lives here, so this module does
not load relay.store.db's writer, logging and PostgreSQL adapter.
"""
import os
import sqlite3


def connect(path, readonly=False, busy_ms=10000):
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=10)
    else:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    conn.row_factory = sqlite3.Row
    return conn


class ReadOnly:
    """The `read(fn)` half of relay.store.Store on one read-only connection."""

    def __init__(self, path, busy_ms=100):
        if not os.path.exists(path):
            raise FileNotFoundError(path)     # mode=ro would fail too, with a vaguer message
        self.path = path
        self.conn = connect(path, readonly=True, busy_ms=busy_ms)

    def read(self, fn):
        return fn(self.conn)

    def close(self):
        self.conn.close()
