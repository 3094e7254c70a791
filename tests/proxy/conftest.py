"""Fixtures for proxy tests: a fake Anthropic upstream and a real `relay serve` in front of it."""
import json
import time
from urllib.parse import quote

import pytest
import requests

from tests.fake_upstream import FakeUpstream
from tests.relay_process import RelayProcess


@pytest.fixture
def upstream():
    server = FakeUpstream().start()
    yield server
    server.stop()


@pytest.fixture
def relay(upstream):
    process = RelayProcess(upstream.url).start()
    yield process
    process.stop()


def wait_rows(relay_url, count, predicate=lambda rows: True, timeout=10, **params):
    """Poll the API until `count` finished rows exist (and predicate holds); returns them."""
    deadline = time.time() + timeout
    rows = []
    while time.time() < deadline:
        rows = requests.get(f"{relay_url}/api/v1/requests", params={"limit": 100, **params},
                            timeout=5).json()["requests"]
        done = [r for r in rows if r["outcome"] is not None]
        if len(done) >= count and predicate(done):
            return done
        time.sleep(0.05)
    raise AssertionError(f"expected {count} finished rows, got: {json.dumps(rows, indent=1)[:2000]}")


def messages_body(stream=True, **extra):
    return json.dumps({"model": "claude-opus-5-5", "max_tokens": 64, "stream": stream,
                       "messages": [{"role": "user", "content": "say hi"}], **extra}).encode()


def wait_history(relay_url, session_id, count, timeout=10):
    """Poll the API until `count` captured turns exist for the session; returns them."""
    deadline = time.time() + timeout
    turns = []
    while time.time() < deadline:
        r = requests.get(f"{relay_url}/api/v1/history/{quote(session_id, safe='')}", timeout=5)
        turns = r.json()["turns"] if r.status_code == 200 else []
        if len(turns) >= count:
            return turns
        time.sleep(0.05)
    raise AssertionError(f"expected {count} captured turns for {session_id}, got {len(turns)}")


def history_bodies(session_id, count):
    """The request bodies of a session's first `count` captured turns, rebuilt from the store."""
    from relay import paths  # conftest points RELAY_HOME at this test's temp dir
    from relay.store import Store, history_queries
    store = Store(paths.db_path())
    try:
        return store.read(lambda c: [history_queries.request_body(c, session_id, i) for i in range(count)])
    finally:
        store.close()
