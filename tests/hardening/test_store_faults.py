"""The fault matrix's disk half: another process holding the lock, a full disk, a read-only data
dir, two relays on one database, SIGKILL in the middle of writes. relay keeps proxying, says
what is wrong once, and loses no row it could keep.

Disk full is simulated two honest ways: a 1 MB tmpfs filled to the last byte (needs mount, so
root outside a locked-down container; skipped otherwise), and RLIMIT_FSIZE on the relay child
(works anywhere: writes past the limit fail with EFBIG, as on a full disk); raising the limit
again (prlimit) is "space freed". Read-only: a read-only bind mount (needs mount; skipped
otherwise): chmod does not stop root.
"""
import contextlib
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading

import psutil
import pytest
import requests

from relay.store import Store
from tests.proxy.conftest import messages_body, wait_rows
from tests.proxy.test_faults import post
from tests.relay_process import ROOT, RelayProcess
from tests.waiting import eventually


def _health(relay):
    return requests.get(relay.url + "/api/v1/health", timeout=10).json()


@contextlib.contextmanager
def _locked(db):
    """Another process holding the database's write lock until the block ends."""
    code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
            "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.readline(); c.execute('COMMIT')")
    holder = subprocess.Popen([sys.executable, "-c", code, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(10)


def test_writer_outlasts_a_lock_longer_than_busy_timeout(tmp_path):
    store = Store(tmp_path / "relay.db", busy_ms=50).start()
    try:
        store.write(lambda c: c.execute("CREATE TABLE t (n INTEGER)"))
        with _locked(store.path):
            for n in range(100):
                store.submit(lambda c, n=n: c.execute("INSERT INTO t VALUES (?)", (n,)))
            eventually(lambda: store.failure and "locked" in store.failure, what="the store to report the lock")
            assert store.pending == 100
        assert store.flush(20)
        assert store.failure is None and store.pending == 0
        assert store.read(lambda c: c.execute("SELECT COUNT(*), SUM(n) FROM t").fetchone()[:]) == (100, 4950)
    finally:
        store.close()


def test_proxy_serves_while_another_process_holds_the_lock(relay, upstream, tmp_path):
    db = tmp_path / "relay-home" / "relay.db"
    with _locked(db) as holder:
        for _ in range(10):
            assert post(relay, messages_body(stream=False)).status_code == 200
        assert holder.poll() is None   # all answered while the lock was still held
    assert len(wait_rows(relay.url, 10, lambda rows: len(rows) == 10)) == 10


def _first_start(upstream):
    """Create the database with a first run, so a limited run starts from a complete one."""
    with RelayProcess(upstream.url):
        pass


def _drive_until_failing(relay, limit=400):
    sent = 0
    while _health(relay)["store"] == "ok":
        assert post(relay, messages_body(stream=False)).status_code == 200
        sent += 1
        assert sent < limit, "the store never reported the full disk"
    for _ in range(5):   # the proxy keeps serving while nothing can be written
        assert post(relay, messages_body(stream=False)).status_code == 200
        sent += 1
    return sent


def _limited_fsize():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # EFBIG to the writer instead of a kill
    # the soft limit only: raising it back to the hard one needs no privilege
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def test_file_size_limit_then_freed_loses_nothing(upstream, tmp_path):
    _first_start(upstream)
    relay = RelayProcess(upstream.url, preexec_fn=_limited_fsize).start()
    try:
        sent = _drive_until_failing(relay)
        health = _health(relay)
        assert health["store"].startswith("failing: ") and health["store_pending"] > 0
        assert "Recording is failing" in requests.get(relay.url + "/", timeout=10).text
        child = psutil.Process(relay.proc.pid)
        child.rlimit(psutil.RLIMIT_FSIZE, (child.rlimit(psutil.RLIMIT_FSIZE)[1],) * 2)   # space freed
        eventually(lambda: _health(relay)["store"] == "ok", what="the store to recover")
        rows = wait_rows(relay.url, sent, lambda rows: len(rows) == sent, timeout=20, limit=1000)
        assert len(rows) == sent and {r["outcome"] for r in rows} == {"ok"}
        relay.stop()
        failing = [line for line in relay.stderr_lines if "writes are failing" in line]
        assert 1 <= len(failing) <= 2, failing   # said once (twice if the error text changed), not per request
        assert any("writes work again" in line for line in relay.stderr_lines)
    finally:
        relay.stop()


@contextlib.contextmanager
def _mount(*args):
    target = args[-1]
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount is not permitted here ({done.stderr.strip() or done.returncode})")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", target], capture_output=True)


def test_full_tmpfs_then_freed_loses_nothing(upstream, tmp_path, monkeypatch):
    home = tmp_path / "small"
    home.mkdir()
    with _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(home)):
        monkeypatch.setenv("RELAY_HOME", str(home))
        relay = RelayProcess(upstream.url).start()
        try:
            filler = home / "filler"
            with open(filler, "wb", buffering=0) as fh:
                with contextlib.suppress(OSError):
                    while True:
                        fh.write(b"\0" * 4096)
            sent = _drive_until_failing(relay)
            assert "full" in _health(relay)["store"] or "I/O" in _health(relay)["store"]
            filler.unlink()
            eventually(lambda: _health(relay)["store"] == "ok", what="the store to recover")
            rows = wait_rows(relay.url, sent, lambda rows: len(rows) == sent, timeout=20, limit=1000)
            assert len(rows) == sent
        finally:
            relay.stop()


def test_read_only_data_dir_is_one_clear_error(upstream, tmp_path):
    source = tmp_path / "relay-home"
    Store(source / "relay.db").close()
    view = tmp_path / "ro"
    view.mkdir()
    with _mount("--bind", str(source), str(view)):
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        done = subprocess.run([sys.executable, str(ROOT / "relay.py"), "serve", "--port", "0"],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                              env={**os.environ, "RELAY_HOME": str(view)})
    assert done.returncode != 0
    assert "Error: cannot open relay's database" in done.stderr and "read-only" in done.stderr
    assert "Hint:" in done.stderr and "Traceback" not in done.stderr


def test_two_relays_share_one_database(upstream):
    with RelayProcess(upstream.url) as one, RelayProcess(upstream.url) as two:
        barrier = threading.Barrier(2)

        def hammer(relay):
            barrier.wait()
            for _ in range(15):
                assert post(relay, messages_body(stream=False)).status_code == 200
        threads = [threading.Thread(target=hammer, args=(r,)) for r in (one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for relay in (one, two):
            rows = wait_rows(relay.url, 30, lambda rows: len(rows) == 30)
            assert {r["outcome"] for r in rows} == {"ok"}


def test_second_relay_on_a_taken_port_fails_clearly(relay):
    done = subprocess.run([sys.executable, str(ROOT / "relay.py"), "serve", "--port", str(relay.port)],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode != 0 and "already in use" in done.stderr and "Traceback" not in done.stderr
    assert _health(relay)["ok"] is True


def test_sigkill_during_writes_leaves_no_torn_rows(upstream, tmp_path):
    relay = RelayProcess(upstream.url, "--history").start()
    stop = threading.Event()
    sent = []

    def load():
        while not stop.is_set():
            try:
                post(relay, messages_body(stream=False, messages=[{"role": "user", "content": "x" * 5000}]))
                sent.append(1)
            except requests.RequestException:
                return
    threads = [threading.Thread(target=load) for _ in range(6)]
    for t in threads:
        t.start()
    eventually(lambda: len(sent) >= 30, what="some traffic")
    relay.proc.send_signal(signal.SIGKILL)
    relay.proc.wait(10)
    stop.set()
    for t in threads:
        t.join(30)
    db = tmp_path / "relay-home" / "relay.db"
    with RelayProcess(upstream.url) as again:
        rows = wait_rows(again.url, 1, limit=1000)
        assert all(r["outcome"] in ("ok", "interrupted") for r in rows)
        assert _health(again)["counts"]["in_flight"] == 0
        with contextlib.closing(sqlite3.connect(db)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            migrations = conn.execute("SELECT COUNT(*) FROM _relay_migrations").fetchone()[0]
    with RelayProcess(upstream.url):   # a second restart applies nothing twice
        pass
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM _relay_migrations").fetchone()[0] == migrations


def test_backlog_is_bounded_and_counts_what_it_gives_up(tmp_path, monkeypatch):
    from relay.store import db as store_db
    monkeypatch.setattr(store_db, "MAX_BACKLOG", 50)
    store = Store(tmp_path / "relay.db", busy_ms=20).start()
    try:
        store.write(lambda c: c.execute("CREATE TABLE t (n INTEGER)"))
        with _locked(store.path):
            for n in range(80):
                store.submit(lambda c, n=n: c.execute("INSERT INTO t VALUES (?)", (n,)))
            eventually(lambda: store.dropped == 30, what="the backlog to give up the oldest 30")
            assert store.pending == 50
        assert store.flush(20)
        # the newest 50 are kept: a long outage costs the oldest rows, never the recent ones
        assert store.read(lambda c: c.execute("SELECT MIN(n), COUNT(*) FROM t").fetchone()[:]) == (30, 50)
    finally:
        store.close()


def test_a_relay_starting_or_stopping_leaves_the_other_relays_open_rows_alone(upstream):
    from tests.proxy.test_faults import open_stream
    with RelayProcess(upstream.url) as first:
        client, _ = open_stream(first, "hang")
        eventually(lambda: _health(first)["counts"]["in_flight"] == 1, what="the open row")
        second = RelayProcess(upstream.url).start()
        assert second.wait_stderr("another relay uses this data dir")
        assert _health(second)["counts"]["in_flight"] == 1   # not marked interrupted
        assert second.stop(signal.SIGTERM) == 0
        assert _health(first)["counts"]["in_flight"] == 1    # nor by the other's shutdown
        client.close()
        [row] = wait_rows(first.url, 1)
        assert row["outcome"] == "client_closed"


def test_health_shows_how_far_the_writer_is_behind(relay, upstream):
    health = _health(relay)
    assert health["store_queued"] == 0 and health["store_pending"] == 0 and health["store"] == "ok"
