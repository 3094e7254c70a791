"""SQLite storage: one writer fed by a queue, readers on their own connections (WAL).

`Store`, `open_user_store` and `user_store` load on first use (PEP 562): importing a leaf of this
package (relay.store.readonly, the *_queries modules) then costs no writer, migrations, PostgreSQL
adapter or settings table, which is what keeps `relay statusline`'s whole process short.
"""
TYPE_CHECKING = False
if TYPE_CHECKING:
    from relay.store.db import Store
    from relay.store.opening import open_user_store, user_store

__all__ = ["Store", "open_user_store", "user_store"]


def __getattr__(name):
    if name in __all__:
        from relay.store import opening
        return getattr(opening, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
