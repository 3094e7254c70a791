"""SQLite storage: one writer fed by a queue, readers on their own connections (WAL)."""
from relay.store.db import Store

__all__ = ["Store"]
