"""A writer far behind (traffic outpacing its commits, the database not refusing anything):
every exchange row is kept, through a stop, however long the queue; memory is bounded by
skipping history captures instead, counted in /api/v1/health. The writer is held back by another
process holding the database's write lock for less than busy_timeout (so the store is behind,
not failing), and the bounds are lowered so a few dozen exchanges overrun them."""
import contextlib
import signal
import sqlite3
import sys

import requests

from relay.store import Store
from relay.store import db as store_db
from tests.hardening.test_store_faults import _locked
from tests.proxy.conftest import messages_body
from tests.proxy.test_faults import post
from tests.relay_process import RelayProcess

# The real entry point with the store's bounds lowered (gevent first, as relay.__main__ does).
_CHILD = ("from gevent import monkey; monkey.patch_all(); import sys; import relay.store.db as db; "
          "db.MAX_BACKLOG = 20; db.OPTIONAL_BOUND = 40; sys.argv[0] = 'relay'; "
          "from relay.__main__ import main; main()")


def _query(db, sql):
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def test_sigterm_with_a_long_write_queue_loses_no_exchange(upstream, tmp_path):
    db = tmp_path / "relay-home" / "relay.db"
    relay = RelayProcess(upstream.url, "--history", command=[sys.executable, "-c", _CHILD]).start()
    sent = 30
    with _locked(db):
        for _ in range(sent):
            assert post(relay, messages_body(stream=False)).status_code == 200
        health = requests.get(relay.url + "/api/v1/health", timeout=10).json()
        relay.proc.send_signal(signal.SIGTERM)
        assert relay.wait_stderr("queued record(s) before exit")   # the writer is behind at the stop
    assert relay.proc.wait(60) == 0
    assert _query(db, "SELECT outcome, COUNT(*) FROM exchanges GROUP BY outcome") == [("ok", sent)]
    # Each exchange queues a start and a finish row and one history turn: past 40 waiting, turns are skipped.
    skipped = health["history_skipped"]
    assert skipped > 0 and "history capture(s) skipped" in health["store"]
    assert _query(db, "SELECT COUNT(*) FROM history_turns") == [(sent - skipped,)]


def test_a_writer_behind_keeps_every_task_and_skips_only_optional_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(store_db, "MAX_BACKLOG", 10)
    monkeypatch.setattr(store_db, "OPTIONAL_BOUND", 25)
    store = Store(tmp_path / "relay.db").start()   # busy_timeout 10 s: the held lock only delays it
    try:
        store.write(lambda c: c.execute("CREATE TABLE t (n INTEGER, optional INTEGER)"))
        with _locked(store.path):
            for n in range(60):
                store.submit(lambda c, n=n: c.execute("INSERT INTO t VALUES (?, 0)", (n,)))
                if n < 4:   # fewer than 25 waiting: queued like any other write
                    assert store.submit_optional(lambda c, n=n: c.execute("INSERT INTO t VALUES (?, 1)", (n,)))
            assert store.submit_optional(lambda c: c.execute("INSERT INTO t VALUES (-1, 1)")) is False
            assert store.skipped == 1 and store.queued == 64
        assert store.flush(20)
        assert store.dropped == 0 and store.failure is None
        counts = store.read(lambda c: c.execute("SELECT optional, COUNT(*) FROM t GROUP BY optional").fetchall())
        assert [tuple(r) for r in counts] == [(0, 60), (1, 4)]
    finally:
        store.close()
