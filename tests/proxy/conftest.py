"""Fixtures for proxy tests: a fake Anthropic upstream and a real `relay serve` in front of it."""
import json
import time

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
