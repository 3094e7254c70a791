"""The database: WAL mode, one writer thread fed by a queue of fn(conn) tasks, readers apart.

The proxy never waits on SQLite: it calls `store.submit(task)`, which only appends to a queue.
The writer is a native OS thread even under gevent (sqlite3 releases the GIL, a greenlet would
stall the hub), and it commits a batch of queued tasks per transaction. A task that raises is
logged and dropped; the ones batched with it are retried one by one so one bad row costs one row.
"""
import logging
import sys
import sqlite3
from _queue import SimpleQueue
from pathlib import Path

from relay.store import migrations

log = logging.getLogger("relay.store")
_STOP = object()
BATCH = 256


def _original(module, name):
    """The unpatched function, so the writer stays a real OS thread under gevent (gevent patches
    _thread.start_new_thread and allocate_lock, which the threading module is built on). When
    gevent.monkey was never imported nothing is patched, and importing it would cost ~20 ms."""
    if "gevent.monkey" not in sys.modules:
        return getattr(__import__(module), name)
    try:
        from gevent import monkey
        if monkey.is_module_patched(module):
            return monkey.get_original(module, name)
    except ImportError:
        pass
    return getattr(__import__(module), name)


def _native_lock():
    return _original("_thread", "allocate_lock")()


def connect(path, readonly=False):
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=10)
    else:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.row_factory = sqlite3.Row
    return conn


class _Barrier:
    """Queued after the tasks a caller waits for; released once they are committed."""

    def __init__(self):
        self._lock = _native_lock()
        self._lock.acquire()

    def set(self):
        self._lock.release()

    def wait(self, timeout):
        return self._lock.acquire(timeout=timeout)


class Store:
    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(self.path)
        self._conn.isolation_level = ""  # migrations use `with conn:` transactions
        migrations.migrate(self._conn)
        self._conn.isolation_level = None
        self._queue = SimpleQueue()  # the C queue: never patched, put() never blocks
        self._write_lock = _native_lock()
        self._readers = []
        self._thread = None

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

    def close(self, timeout=10.0):
        if self._thread is not None:
            self._queue.put(_STOP)
            self._stopped.acquire(timeout=timeout)
            self._thread = None
        else:
            self._drain()
        for conn in self._readers:
            conn.close()
        self._conn.close()

    def _drain(self):
        """Commit what is queued, on the caller's thread; True when a stop was queued."""
        batch, barriers, stop = [], [], False
        while not self._queue.empty() and len(batch) < BATCH:
            item = self._queue.get()
            if item is _STOP:
                stop = True
                break
            if isinstance(item, _Barrier):
                barriers.append(item)
            else:
                batch.append(item)
        if batch:
            self._commit(batch)
        for barrier in barriers:
            barrier.set()
        return stop

    def _run_thread(self):
        try:
            self._run()
        finally:
            self._stopped.release()

    def _run(self):
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            if isinstance(first, _Barrier):
                first.set()
                continue
            self._commit_from(first)

    def _commit_from(self, first):
        batch, barriers = [first], []
        stop = False
        while len(batch) < BATCH and not self._queue.empty():
            item = self._queue.get()
            if item is _STOP:
                stop = True
                break
            if isinstance(item, _Barrier):
                barriers.append(item)
                break  # commit now so the waiter is released as early as possible
            batch.append(item)
        self._commit(batch)
        for barrier in barriers:
            barrier.set()
        if stop:
            self._queue.put(_STOP)

    def _commit(self, batch):
        with self._write_lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                for task in batch:
                    task(self._conn)
                self._conn.execute("COMMIT")
                return
            except Exception:
                self._conn.execute("ROLLBACK")
                if len(batch) == 1:
                    log.exception("store write failed and was dropped")
                    return
        for task in batch:
            self._commit([task])

    # --- reads -------------------------------------------------------------------------
    def read(self, fn):
        """Run fn(conn) on a pooled read-only connection."""
        conn = self._readers.pop() if self._readers else connect(self.path, readonly=True)
        try:
            return fn(conn)
        finally:
            if len(self._readers) < 8:
                self._readers.append(conn)
            else:
                conn.close()
