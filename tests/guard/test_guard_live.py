"""The guard in a running relay: the fake upstream reports utilization, /api/v1/guard shows the
tiers and alerts, the on-alert setting runs, and `relay guard [--daemon]` as a user runs them."""
import os
import subprocess
import sys
import time

import requests

from tests.guard.test_guard import _recorder, wait_lines
from tests.proxy.conftest import messages_body
from tests.relay_process import ROOT, RelayProcess


def send(relay_url, util):
    response = requests.post(f"{relay_url}/v1/messages", data=messages_body(stream=True),
                             headers={"content-type": "application/json", "x-api-key": "sk-test",
                                      "x-fake-utilization": util}, timeout=10)
    assert response.status_code == 200 and b"message_stop" in response.content


def guard_state(relay_url, **params):
    return requests.get(f"{relay_url}/api/v1/guard", params=params, timeout=5).json()["guard"]


def wait_alerts(relay_url, count, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = guard_state(relay_url)
        if len(state["alerts"]) >= count:
            return state
        time.sleep(0.05)
    raise AssertionError(f"expected {count} alerts: {state}")


def test_live_relay_moves_the_quota_zone_and_runs_the_hook(upstream, tmp_path):
    cmd, out = _recorder(tmp_path)
    env = dict(os.environ, RELAY_GUARD_QUOTA_WARN="60")
    with RelayProcess(upstream.url, "--on-alert", cmd, env=env) as relay:
        send(relay.url, "5h=0.61,7d=0.2")                 # 61% >= 60 -> warn
        state = wait_alerts(relay.url, 1)
        assert state["source"] == "live" and state["zones"] == {"quota": "warn", "context": "ok"}
        assert state["quota"]["value_pct"] == 61.0 and state["quota"]["window"] == "5h"
        assert state["thresholds"]["quota"] == {"notice": 50.0, "warn": 60.0, "critical": 90.0}
        (alert,) = state["alerts"]
        assert (alert["zone"], alert["from"], alert["to"], alert["id"]) == ("quota", "ok", "warn", 1)
        # fake usage: 12 input + 1500 cache write + 3000 cache read = 4512 of Opus 5.5's 1M -> 0.45 %
        (session,) = state["sessions"]
        assert (session["value_pct"], session["tier"], session["context_window"]) == (0.45, "ok", 1_000_000)
        (got, zone, to), = wait_lines(out, 1)
        assert got["id"] == 1 and (zone, to) == ("quota", "warn")
        send(relay.url, "5h=0.62,7d=0.95")                # 7d 95% -> critical
        state = wait_alerts(relay.url, 2)
        assert [a["to"] for a in guard_state(relay.url, after=1)["alerts"]] == ["critical"]
        assert requests.get(f"{relay.url}/api/v1/guard", params={"after": "x"}, timeout=5).json() == {
            "ok": False, "error": "after must be a whole number, got 'x'", "status": 400}


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], capture_output=True, text=True,
                          timeout=60, env=env)


def test_relay_guard_reads_the_live_relay_then_the_database(upstream):
    with RelayProcess(upstream.url) as relay:
        send(relay.url, "5h=0.8")
        wait_alerts(relay.url, 1)
        port = relay.url.rsplit(":", 1)[1]
        live = run_cli("guard", "--port", port)
        assert live.returncode == 0, live.stderr
        assert "source: live" in live.stdout and "quota    warn" in live.stdout and "80%" in live.stdout
    # the relay is stopped: the state now comes from its database
    offline = run_cli("guard", "--port", port, "--format", "json")
    assert offline.returncode == 0, offline.stderr
    assert '"source": "database"' in offline.stdout and '"quota": "warn"' in offline.stdout


def test_daemon_fires_each_alert_once_and_survives_a_restart(upstream, tmp_path):
    cmd, out = _recorder(tmp_path)
    relay = RelayProcess(upstream.url).start()
    port = relay.url.rsplit(":", 1)[1]
    send(relay.url, "5h=0.55")                            # notice: before the daemon, so not news to it
    wait_alerts(relay.url, 1)
    daemon = subprocess.Popen([sys.executable, str(ROOT / "relay.py"), "guard", "--daemon", "--port", port,
                               "--interval", "0.1", "--on-alert", cmd],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # its first poll saw alert 1 as history (readline returns when the daemon says so)
        assert daemon.stderr.readline().startswith("guard daemon following")
        assert daemon.stderr.readline().strip().endswith("after alert #1")
        send(relay.url, "5h=0.8")                         # warn
        send(relay.url, "5h=0.81")                        # still warn: no alert
        assert [line[2] for line in wait_lines(out, 1)] == ["warn"]
        time.sleep(0.5)                                   # more polls must not fire it again
        assert len(out.read_text().splitlines()) == 1
        relay.stop()
        relay = RelayProcess(upstream.url, "--port", port).start()
        send(relay.url, "5h=0.95")        # the new instance primed at warn: critical is alert 1 again
        lines = wait_lines(out, 2)
        assert [(line[0]["id"], line[2]) for line in lines] == [(2, "warn"), (1, "critical")]
    finally:
        daemon.terminate()
        _, err = daemon.communicate(timeout=10)
        relay.stop()
    assert "relay restarted" in err and "not answering" in err
