"""A read-only look at relay's database for short-lived readers that must never wait or write:
`relay statusline` runs after every Claude Code message, with or without a relay running.

No migration, no writer thread, no file created: a missing database stays missing, and a lock
held past `busy_ms` is an error the caller turns into a fallback instead of a wait.
"""
import os

from relay.store.db import connect


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
