"""Secrets never stored and files private: the end-of-run scanner (tests/conftest.py) really finds
a planted key, and relay creates its data dir 0700 and its database, WAL, SHM and pid file 0600."""
import base64
import http.client
import json
import os
import shutil
import sqlite3
import stat
import zlib

import pytest
import requests

from relay.store import Store
from tests.conftest import _secret_hits
from tests.proxy.conftest import messages_body, wait_rows
from tests.proxy.test_faults import post
from tests.relay_process import RelayProcess
from tests.session_homes import grow, populate


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("where,key", [("file", "sk-ant-test-leaked"), ("blob", "sk-ant-api03-leaked"),
                                       ("file", "AIzaSyB-0123456789abcdefghijklmnopq"),
                                       ("blob", "AIzaSyB-0123456789abcdefghijklmnopq")])
def test_scanner_finds_a_planted_key(tmp_path, where, key):
    home = tmp_path / "planted"
    Store(home / "relay.db").close()
    assert _secret_hits(tmp_path) == []
    try:
        if where == "file":
            (home / "relay.log").write_text(f"x-api-key: {key}\n")
        else:
            with sqlite3.connect(home / "relay.db") as conn:
                conn.execute("CREATE TABLE leak (b BLOB)")
                conn.execute("INSERT INTO leak VALUES (?)", (zlib.compress(f'{{"key": "{key}"}}'.encode()),))
            conn.close()
        assert _secret_hits(tmp_path)
    finally:
        shutil.rmtree(home)   # the plant must not fail the end-of-run scan


@pytest.fixture
def wide_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_new_store_is_private(tmp_path, wide_umask):
    store = Store(tmp_path / "data" / "relay.db").start()
    store.submit(lambda c: c.execute("CREATE TABLE t (x)"))
    assert store.flush()
    assert _mode(tmp_path / "data") == 0o700
    for name in ("relay.db", "relay.db-wal", "relay.db-shm"):
        assert _mode(tmp_path / "data" / name) == 0o600, name
    store.close()


def test_existing_files_are_narrowed_never_widened(tmp_path, wide_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    Store(shared / "relay.db").close()
    os.chmod(shared / "relay.db", 0o644)
    Store(shared / "relay.db").close()
    assert _mode(shared / "relay.db") == 0o600
    assert _mode(shared) == 0o755   # a dir relay did not create keeps the mode its owner chose
    os.chmod(shared / "relay.db", 0o400)
    from relay.store.db import private_file
    private_file(shared / "relay.db")
    assert _mode(shared / "relay.db") == 0o400   # stricter than 0600: left alone


def test_served_data_dir_is_private(upstream, tmp_path, wide_umask):
    grow(populate()["session-tool-bash"])   # a file large enough to keep a state
    with RelayProcess(upstream.url, "--history") as relay:
        post(relay, messages_body(stream=False))
        wait_rows(relay.url, 1)
        assert requests.get(relay.url + "/api/v1/cost", timeout=60).status_code == 200   # writes session-state/
        home = tmp_path / "relay-home"
        assert _mode(home) == 0o700
        for name in ("relay.db", "relay.db-wal", "relay.db-shm", "relay.pid", "session-state"):
            assert _mode(home / name) == (0o700 if name == "session-state" else 0o600), name
        states = list((home / "session-state").iterdir())
        assert states and all(_mode(p) == 0o600 for p in states)


def test_credentials_are_masked_by_shape_wherever_they_ride(upstream, tmp_path):
    """A key under any query name (also percent-encoded), in a path segment, in the user agent,
    and echoed back by upstream in an error event: none of them reaches the data dir or the log."""
    google, anthropic, openai = ("AIzaSy-relay-shape-KEY-never-stored", "sk-ant-api03-relay-shape-never-stored",
                                 "sk-proj-relay-shape-KEY-never-stored")
    echo = (b'event: error\ndata: {"type":"error","error":{"type":"authentication_error",'
            b'"message":"invalid x-api-key ' + anthropic.encode() + b'"}}\n\n'
            b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    with RelayProcess(upstream.url) as relay:
        body = json.loads(messages_body())
        body["raw_chunks"] = [base64.b64encode(echo).decode()]
        # http.client sends the target as written (requests would decode %6B)
        conn = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=30)
        conn.request("POST", f"/v1/messages?%6Bey={google}&beta=true", json.dumps(body).encode(),
                     {"content-type": "application/json", "x-fake-scenario": "raw"})
        resp = conn.getresponse()
        assert resp.status == 200 and anthropic.encode() in resp.read()   # relayed untouched
        conn.close()
        resp = post(relay, messages_body(stream=False), path=f"/gemini/v1beta/{openai}/models/m:generateContent"
                    f"?token={anthropic}", **{"User-Agent": f"cli/1.0 Bearer {openai}"})
        rows = wait_rows(relay.url, 2)
        # upstream got the target as sent, secrets included: relay only stores it masked
        assert upstream.requests[0]["path"].endswith(f"%6Bey={google}&beta=true")
        assert {r["path"] for r in rows} == {"/v1/messages?%6Bey=***&beta=true",
                                             "/v1beta/***/models/m:generateContent?token=***"}
        assert any(r["error"] == "invalid x-api-key ***" for r in rows), [r["error"] for r in rows]
    home = tmp_path / "relay-home"
    for key in (google, anthropic, openai):
        assert _secret_hits(home.parent, needles=(key.encode(),)) == []
        assert key not in "".join(relay.stderr_lines)
