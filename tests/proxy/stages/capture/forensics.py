"""What the cache-forensics tests share: a real relay with --history in homes of its own (module
fixtures run before the per-test isolated home), the forensics of a session read through the API,
and a gap planted between two captured turns."""
import os
import sqlite3

import pytest
import requests

from relay import paths
from tests.fake_upstream import FakeUpstream
from tests.proxy.conftest import wait_history
from tests.relay_process import RelayProcess


def history_relay(upstream_url, root):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELAY_", "ANTHROPIC_", "XDG_DATA"))}
    env.update(HOME=str(root / "home"), RELAY_HOME=str(root / "relay-home"),
               RELAY_CLAUDE_HOME=str(root / "home" / ".claude"), RELAY_CODEX_HOME=str(root / "home" / ".codex"),
               RELAY_GEMINI_HOME=str(root / "home" / ".gemini"))
    return RelayProcess(upstream_url, "--history", env=env).start()


@pytest.fixture(scope="module")
def upstream():
    server = FakeUpstream().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def relay(upstream, tmp_path_factory, request):
    """One relay per test module, in homes named after the module."""
    process = history_relay(upstream.url, tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    yield process
    process.stop()


def cache_of(relay, sid, turns):
    wait_history(relay.url, sid, turns)
    r = requests.get(f"{relay.url}/api/v1/history/{sid}/cache", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def one_break(relay, sid, turns=2):
    data = cache_of(relay, sid, turns)
    assert len(data["breaks"]) == 1, data["breaks"]
    return data["breaks"][0]


def plant_gap(relay, monkeypatch, sid, turn, seconds):
    """Moves captured turn `turn` to `seconds` after turn 0, as if the user read that long."""
    wait_history(relay.url, sid, turn + 1)
    monkeypatch.setenv("RELAY_HOME", relay.env["RELAY_HOME"])      # the module relay's own home
    db = sqlite3.connect(paths.db_path(), timeout=10)
    with db:
        (t0,) = db.execute("SELECT ts FROM history_turns WHERE session_id = ? AND turn = 0", (sid,)).fetchone()
        db.execute("UPDATE history_turns SET ts = ? WHERE session_id = ? AND turn = ?", (t0 + seconds, sid, turn))
    db.close()
