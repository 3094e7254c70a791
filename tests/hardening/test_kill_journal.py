"""An exchange whose last byte reached the client is never lost, even by SIGKILL: relay appends
each finished exchange to its journal before the client's last byte goes out, and the next start
replays it. Here the store's writer is held back (another process holds the write lock, so no row
is committed while traffic runs), then relay is SIGKILLed right after its clients got their last
bytes: every completed request must be a finished row after the restart."""
import contextlib
import os
import signal
import sqlite3
import stat
import threading

import requests

from tests.hardening.test_store_faults import _locked
from tests.proxy.conftest import messages_body
from tests.proxy.test_faults import post
from tests.relay_process import RelayProcess

CLIENTS = 8


def _drive(relay, count_each):
    """CLIENTS threads, each sending `count_each` requests (streams and JSON, each with its own
    session id) and reading every answer to its end. Returns the session ids completed."""
    done, lock = [], threading.Lock()

    def client(n):
        for i in range(count_each):
            sid = f"kill-{n}-{i}"
            stream = i % 2 == 0
            with post(relay, messages_body(stream=stream), stream=True,
                      **{"x-claude-code-session-id": sid}) as resp:
                body = b"".join(resp.raw.stream(65536, decode_content=False))
            assert resp.status_code == 200 and (b"message_stop" in body if stream else b"usage" in body)
            with lock:
                done.append(sid)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return done


def test_sigkill_loses_no_exchange_the_client_completed(upstream, tmp_path):
    db = tmp_path / "relay-home" / "relay.db"
    relay = RelayProcess(upstream.url).start()
    try:
        with _locked(db):
            done = _drive(relay, 5)
            journal = list((tmp_path / "relay-home" / "journal").glob("journal-*.jsonl"))
            assert journal and all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in journal)
            relay.proc.send_signal(signal.SIGKILL)
            relay.proc.wait(10)
    finally:
        relay.stop()
    assert len(done) == CLIENTS * 5
    with RelayProcess(upstream.url) as again:
        assert again.wait_stderr("recovered")
        assert requests.get(again.url + "/api/v1/health", timeout=10).json()["ok"] is True
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = dict(conn.execute("SELECT session_id, outcome FROM exchanges WHERE output_tokens = 7"))
    assert {sid: rows.get(sid) for sid in done} == {sid: "ok" for sid in done}
    assert list((tmp_path / "relay-home" / "journal").glob("journal-*.jsonl")) == []   # replayed, then removed
