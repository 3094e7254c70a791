"""relay's own commands against a real `relay serve --auth-tokens`: `relay top`, `relay guard` (the
one-shot view and the polling daemon) and `relay doctor`'s health probe send RELAY_TOKEN as
X-Relay-Token; without it, or with a wrong one, they say so in one line (no traceback, no empty
screen, no fallback to the database posing as the relay) and never print the token."""
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from relay.diagnostics.doctor import probes
from tests.proxy.conftest import messages_body, upstream  # noqa: F401  (fixture reused)
from tests.relay_process import ROOT
from tests.web.test_auth import WRONG, _wait_finished, auth_relay, people  # noqa: F401  (fixtures reused)

HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def _relay_cmd(*args, token=None, timeout=60):
    env = dict(os.environ)
    if token is not None:
        env["RELAY_TOKEN"] = token
    return subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env)


def _assert_refused(done, port, sent):
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    expected = "refused the token in RELAY_TOKEN" if sent else "needs a token: set RELAY_TOKEN"
    assert f"the relay at http://127.0.0.1:{port} {expected}" in done.stderr
    assert WRONG not in done.stdout + done.stderr


@pytest.fixture
def busy_relay(auth_relay, people):
    token = people[1]["alice"]
    response = requests.post(f"{auth_relay.url}/v1/messages", data=messages_body(stream=False),
                             headers={**HEADERS, "X-Relay-Token": token}, timeout=10)
    assert response.status_code == 200
    _wait_finished(auth_relay, token, 1)
    return auth_relay, token


def test_top_sends_relay_token_and_says_when_it_is_missing_or_wrong(busy_relay):
    relay, token = busy_relay
    args = ("top", "--once", "--width", "150", "--port", str(relay.port))
    done = _relay_cmd(*args, token=token)
    assert done.returncode == 0, done.stderr
    assert f"● live http://127.0.0.1:{relay.port}" in done.stdout and "claude-opus-5-5" in done.stdout
    assert token not in done.stdout + done.stderr
    _assert_refused(_relay_cmd(*args), relay.port, sent=False)
    _assert_refused(_relay_cmd(*args, token=WRONG), relay.port, sent=True)


def test_guard_sends_relay_token_and_says_when_it_is_missing_or_wrong(busy_relay):
    relay, token = busy_relay
    args = ("guard", "--port", str(relay.port), "--format", "json")
    done = _relay_cmd(*args, token=token)
    assert done.returncode == 0, done.stderr
    assert '"source": "live"' in done.stdout
    _assert_refused(_relay_cmd(*args), relay.port, sent=False)
    _assert_refused(_relay_cmd(*args, token=WRONG), relay.port, sent=True)


def test_guard_daemon_follows_with_the_token_and_stops_on_a_refusal(busy_relay):
    relay, token = busy_relay
    env = {**os.environ, "RELAY_TOKEN": token}
    daemon = subprocess.Popen([sys.executable, str(ROOT / "relay.py"), "guard", "--daemon", "--port", str(relay.port),
                               "--interval", "0.1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True)
    try:
        deadline = time.time() + 20
        lines = []
        while time.time() < deadline and not any("watching relay instance" in line for line in lines):
            lines.append(daemon.stderr.readline())
        assert any("watching relay instance" in line for line in lines), lines
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=20)
    done = _relay_cmd("guard", "--daemon", "--port", str(relay.port), "--interval", "0.1", timeout=30)
    _assert_refused(done, relay.port, sent=False)


def test_doctor_health_probe_sends_the_token(busy_relay):
    relay, token = busy_relay
    assert probes.health_at(relay.url, 5) == {"ok": True, "auth_required": True}
    assert probes.health_at(relay.url, 5, WRONG) == {"ok": True, "auth_required": True}
    answer = probes.health_at(relay.url, 5, token)
    assert answer["ok"] is True and "auth_required" not in answer and answer.get("version")
