"""The database: WAL mode, one writer thread fed by a queue of fn(conn) tasks, readers apart.

The proxy never waits on SQLite: it calls `store.submit(task)`, which only appends to a queue.
The writer is a native OS thread even under gevent (sqlite3 releases the GIL, a greenlet would
stall the hub), and it commits a batch of queued tasks per transaction. A task that raises is
logged and dropped; the ones batched with it are retried one by one so one bad row costs one row.

When the database itself refuses (locked by another process beyond busy_timeout, disk full,
read-only, I/O error) nothing is dropped: the batch stays in a bounded backlog and is retried
with backoff, the failure is logged once (and once on recovery) and `store.failure` says what is
wrong, for /api/v1/health. Only then, past MAX_BACKLOG tasks, are the oldest ones given up, counted.
A writer that is merely behind (traffic outpacing the commits) never gives up a task: what the
proxy submitted is written, at the latest while relay stops. What bounds memory instead is that
optional writes (history capture: each holds a whole request body) are skipped, counted, once
OPTIONAL_BOUND writes are waiting; the exchange rows are never skipped.
A new data dir is created 0700 and the database 0600 (SQLite gives its WAL and SHM the database's
mode); an existing database file is only ever narrowed to 0600, never widened.
"""
import collections
import os
import sqlite3
import stat
import sys
from _queue import Empty, SimpleQueue
from collections.abc import Callable
from pathlib import Path
from typing import Any

from relay import paths
from relay.store import migrations, pg
from relay.store.readonly import connect


def _log():
    # Only failures log here: logging's import (a few ms) stays off every report's start.
    import logging
    return logging.getLogger(__name__)


_STOP = object()
Task = Callable[[sqlite3.Connection], object]   # what submit() and write() queue
BATCH = 256
MAX_BACKLOG = 20000     # tasks kept while the database refuses writes
OPTIONAL_BOUND = 2000   # waiting writes past which optional ones are skipped (~2 s of lag at 300 exchanges/s)
RETRY_FIRST, RETRY_MAX = 0.05, 2.0
# SQLite primary result codes that describe the database file, not the task: retry later.
_TRANSIENT = {5: "database is locked", 6: "database table is locked", 8: "database is read-only",
              10: "disk I/O error", 13: "database or disk is full", 14: "cannot open the database file"}


def transient(exc):
    """True when a write failed because of the database's state (lock, disk, a server gone), not the task."""
    if pg.transient(exc):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _TRANSIENT
    return isinstance(exc, sqlite3.OperationalError) and any(t in str(exc) for t in _TRANSIENT.values())


def narrow(path, private):
    """Remove group/other permission bits from an existing file or dir; never adds any."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & ~private:
            os.chmod(path, mode & private)
    except OSError:
        pass   # not ours to change (a shared mount): the data itself is still written 0600


def private_file(path):
    """Create `path` 0600 if missing (so SQLite's WAL and SHM inherit 0600), else narrow it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        narrow(path, 0o600)
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.exists(f"{path}{suffix}"):
            narrow(f"{path}{suffix}", 0o600)


def _original(module, name):
    """The unpatched function, so the writer stays a real OS thread under gevent (gevent patches
    _thread.start_new_thread and allocate_lock, which the threading module is built on). When
    gevent.monkey was never imported nothing is patched, and importing it would cost ~20 ms."""
    if "gevent.monkey" not in sys.modules:
        return getattr(__import__(module), name)
    try:
        from gevent import monkey  # only when something else imported it (checked above)
        if monkey.is_module_patched(module):
            return monkey.get_original(module, name)
    except ImportError:
        pass
    return getattr(__import__(module), name)


def _native_lock():
    return _original("_thread", "allocate_lock")()


class _Barrier:
    """Queued after the tasks a caller waits for; released once they are committed."""

    def __init__(self):
        self._lock = _native_lock()
        self._lock.acquire()

    def set(self):
        self._lock.release()

    def wait(self, timeout):
        return self._lock.acquire(timeout=timeout)


class _AfterCommit(_Barrier):
    """A barrier that, instead of waking a waiter, calls fn() on the writer (from a plain thread
    that never waits on it: the journal's cleanup)."""

    def __init__(self, fn):   # no lock: nobody waits
        self._fn = fn

    def set(self):
        try:
            self._fn()
        except Exception:
            _log().exception("store: an after-commit callback failed")


class Store:
    def __init__(self, path, busy_ms=10000, url=None):
        """busy_ms: how long one write waits for another process's lock before the batch goes
        back to the backlog (and is retried). url: a postgresql:// URL to use that server instead
        of the SQLite file at `path` (several relays may share it)."""
        self.url = url if pg.is_url(url) else None
        self._pool = None
        self.path = Path(path)   # with a server too: the journal lives beside it, in the data dir
        paths.private_dir(self.path.parent)
        if self.url:
            self._conn = pg.connect(self.url)
            pg.prepare(self._conn)
            # one relay migrates at a time; the others wait and find nothing left to apply
            self._conn.raw.execute("SELECT pg_advisory_lock(72657280)")
            try:
                migrations.migrate(self._conn)
            finally:
                self._conn.raw.execute("SELECT pg_advisory_unlock(72657280)")
            self._pool = pg.reader_pool(self.url)
        else:
            private_file(self.path)
            self._conn = connect(self.path, busy_ms=busy_ms)
            self._conn.isolation_level = ""  # migrations use `with conn:` transactions
            migrations.migrate(self._conn)
            self._conn.isolation_level = None
        # the C queue: never patched, put() never blocks; it holds tasks, barriers and _STOP
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._write_lock = _native_lock()
        self._readers = []
        self._thread = None
        self._backlog: collections.deque[Task | _Barrier] = collections.deque()   # in order; the writer's own
        self.failure = None      # why writes are failing now, or None
        self.dropped = 0         # tasks given up because the backlog was full while failing
        self.skipped = 0         # optional tasks not queued because the writer was behind
        self._retry_in = RETRY_FIRST

    @property
    def location(self):
        """Where the data is, for people: the SQLite file, or the server URL without its password."""
        return pg.shown(self.url) if self.url else str(self.path)

    @property
    def shared(self):
        """True when other relays may write to the same database (PostgreSQL)."""
        return self.url is not None

    @property
    def pending(self):
        """Writes waiting for the database to accept them again."""
        return len(self._backlog)

    @property
    def queued(self):
        """Writes not yet committed: submitted and not taken yet, plus the backlog. Grows when
        traffic outpaces the writer."""
        return self._queue.qsize() + len(self._backlog)

    # --- writes ------------------------------------------------------------------------
    def start(self):
        if self._thread is None:
            self._stopped = _native_lock()
            self._stopped.acquire()
            self._thread = _original("_thread", "start_new_thread")(self._run_thread, ())
        return self

    def submit(self, task):
        """Queue fn(conn) to run on the writer; never blocks."""
        self._queue.put(task)

    def submit_optional(self, task):
        """submit(), unless OPTIONAL_BOUND writes are already waiting: then the task is skipped and
        counted, so a writer that falls behind cannot grow memory without limit. Never blocks."""
        if self.queued >= OPTIONAL_BOUND:
            self.skipped += 1
            return False
        self._queue.put(task)
        return True

    def write(self, task):
        """Run fn(conn) now, on the caller's thread (CLI commands, startup repair)."""
        with self._write_lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = task(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    def flush(self, timeout=10.0):
        """Wait until everything queued so far is committed."""
        if self._thread is None:
            self._drain()
            return True
        barrier = _Barrier()
        self._queue.put(barrier)
        return barrier.wait(timeout)

    def after_commit(self, fn):
        """fn() on the writer once everything queued before it is committed; never blocks."""
        if self._thread is None:
            self._drain()
            fn()
        else:
            self._queue.put(_AfterCommit(fn))

    def close(self, timeout=10.0):
        if self._thread is not None:
            self._queue.put(_STOP)
            self._stopped.acquire(timeout=timeout)
            self._thread = None
        else:
            self._drain()
        for conn in self._readers:
            conn.close()
        if self._pool is not None:
            self._pool.close()
        self._conn.close()

    def _drain(self):
        """Commit what is queued, on the caller's thread; True when a stop was queued."""
        stop = self._take(wait=False)
        self._commit_backlog()
        if self._backlog:
            _log().error("store: %d write(s) could not be committed (%s) and are lost", self.pending, self.failure)
            self._backlog.clear()
        return stop

    def _run_thread(self):
        try:
            self._run()
        finally:
            self._stopped.release()

    def _run(self):
        while True:
            stop = self._take(wait=True)
            self._commit_backlog()
            self._bound_backlog()   # the batch just refused may be the first sign of a failure
            if stop:
                if self._backlog:  # one last chance, then say what is lost
                    self._commit_backlog()
                if self._backlog:
                    _log().error("store: stopping with %d write(s) not committed (%s)", self.pending, self.failure)
                return

    def _take(self, wait):
        """Move queued items into the backlog; blocks for the first one when the backlog is
        empty, or for the retry delay when it holds writes the database refused."""
        try:
            if not wait:
                first = self._queue.get_nowait()
            elif self._backlog:
                first = self._queue.get(timeout=self._retry_in)
            else:
                first = self._queue.get()
        except Empty:
            return False
        item, stop = first, False
        while True:
            if item is _STOP:
                stop = True
                break
            self._backlog.append(item)
            if self._queue.empty():
                break
            item = self._queue.get()
        self._bound_backlog()
        return stop

    def _bound_backlog(self):
        # Only writes the database refuses are given up: a writer that is just behind keeps every
        # one (under overload this bound once dropped a soak's oldest exchange rows by the 10,000).
        if self.failure is None or len(self._backlog) <= MAX_BACKLOG:
            return
        over = sum(not isinstance(item, _Barrier) for item in self._backlog) - MAX_BACKLOG   # tasks only
        if over <= 0:
            return
        kept: collections.deque[Task | _Barrier] = collections.deque()
        for item in self._backlog:   # give up the oldest tasks; barriers are always kept
            if over > 0 and not isinstance(item, _Barrier):
                over -= 1
                self.dropped += 1
                continue
            kept.append(item)
        self._backlog = kept
        _log().error("store: backlog full; %d write(s) given up so far (%s)", self.dropped, self.failure)

    def _commit_backlog(self):
        """Commit the backlog in batches, releasing each barrier once everything before it is
        committed; stops at the first batch the database refuses (it stays for the retry)."""
        backlog = self._backlog
        while backlog:
            head = backlog[0]
            if isinstance(head, _Barrier):
                backlog.popleft()
                head.set()
                continue
            batch: list[Task] = []
            for item in backlog:
                if isinstance(item, _Barrier) or len(batch) >= BATCH:
                    break
                batch.append(item)
            if not self._commit(batch):
                return
            for _ in batch:
                backlog.popleft()

    def _commit(self, batch):
        """Commit the batch; False (nothing dropped) when the database refused it for now."""
        with self._write_lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                for task in batch:
                    task(self._conn)
                self._conn.execute("COMMIT")
                self._recovered()
                return True
            except Exception as exc:
                self._rollback()
                if transient(exc):
                    self._failing(exc)
                    return False
                if len(batch) == 1:
                    _log().exception("store write failed and was dropped")
                    return True
        # One bad task: the others are retried alone (stopping if the database refuses).
        for i, task in enumerate(batch):
            if not self._commit([task]):
                for _ in range(i):
                    self._backlog.popleft()
                return False
        return True

    def _rollback(self):
        try:
            self._conn.execute("ROLLBACK")
        except Exception:
            pass   # BEGIN itself failed (or the server is gone): there is no transaction to end
        if self.url and self._conn.raw.closed:
            try:   # the server went away: the next retry starts on a new connection
                self._conn = pg.connect(self.url)
            except Exception:
                pass

    def _failing(self, exc):
        message = f"{exc}".strip() or type(exc).__name__
        if self.failure != message:
            _log().error("store: writes are failing (%s); relay keeps proxying and retries; %d waiting",
                      message, self.pending)
        self.failure = message
        self._retry_in = min(self._retry_in * 2, RETRY_MAX)

    def _recovered(self):
        if self.failure is not None:
            _log().warning("store: writes work again (was: %s); committing the %d waiting", self.failure, self.pending)
            self.failure = None
        self._retry_in = RETRY_FIRST

    # --- reads -------------------------------------------------------------------------
    def read(self, fn):
        """Run fn(conn) on a pooled read-only connection."""
        if self._pool is not None:
            with self._pool.connection() as raw:
                return fn(pg.Connection(raw))
        conn = self._readers.pop() if self._readers else connect(self.path, readonly=True)
        try:
            return fn(conn)
        finally:
            if len(self._readers) < 8:
                self._readers.append(conn)
            else:
                conn.close()
