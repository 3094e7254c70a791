"""`relay doctor`'s team_relay check (a real `relay serve --auth-tokens` the CLIs are pointed at
with relay's token header) and its otlp check (a real relay exporting to a collector that is
down, and the SDK missing)."""
import json
import os
import subprocess
import sys

import requests

from relay.diagnostics.doctor import checks
from relay.diagnostics.doctor.model import Context
from tests.proxy.conftest import messages_body, upstream  # noqa: F401  (fixture reused)
from tests.relay_process import ROOT
from tests.waiting import eventually
from tests.web.test_auth import WRONG, auth_relay, people  # noqa: F401  (fixtures reused)
from tests.web.test_otlp import FAST, _free_port, relay_with  # noqa: F401  (fixture reused)

HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def _ctx(tmp_path, port=8083, **settings):
    return Context(settings={"host": "127.0.0.1", "port": port, "otlp_endpoint": "", **settings},
                   environ=dict(os.environ), cwd=tmp_path, timeout=3.0)


def _point_claude_at(home, url, headers):
    (home / ".claude").mkdir(exist_ok=True)
    env = {"ANTHROPIC_BASE_URL": url, **({"ANTHROPIC_CUSTOM_HEADERS": headers} if headers else {})}
    (home / ".claude" / "settings.json").write_text(json.dumps({"env": env}))


def test_team_relay_reachable_with_the_token_from_settings_or_the_environment(isolated_home, tmp_path, auth_relay,
                                                                              people, monkeypatch):
    assert checks.check_team_relay(_ctx(tmp_path)).message.startswith("no team relay configured")
    token = people[1]["alice"]
    _point_claude_at(isolated_home, auth_relay.url, f"X-Relay-Token: {token}")
    found = checks.check_team_relay(_ctx(tmp_path))
    assert found.status == "pass" and f"team relay at {auth_relay.url}" in found.message
    assert "accepts this machine's token" in found.message and token not in found.message
    assert checks.check_claude_settings(_ctx(tmp_path)).status == "pass"

    monkeypatch.setenv("RELAY_TOKEN", WRONG)      # the environment wins over the file
    refused = checks.check_team_relay(_ctx(tmp_path))
    assert refused.status == "fail" and "refuses this machine's token" in refused.message
    assert WRONG not in refused.message + refused.fix

    monkeypatch.delenv("RELAY_TOKEN")
    done = subprocess.run([sys.executable, str(ROOT / "relay.py"), "doctor", "--format", "json"], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert token not in done.stdout + done.stderr
    team = {c["name"]: c for c in json.loads(done.stdout)["checks"]}["team_relay"]
    assert team["status"] == "pass"

    auth_relay.stop()
    gone = checks.check_team_relay(_ctx(tmp_path))
    assert gone.status == "fail" and "nothing answers there" in gone.message


def test_a_base_url_without_relays_header_is_not_a_team_relay(isolated_home, tmp_path):
    _point_claude_at(isolated_home, "https://api.example.invalid", "X-Team: blue")
    assert checks.check_team_relay(_ctx(tmp_path)).status == "pass"


def test_otlp_check_off_and_without_the_sdk(tmp_path, monkeypatch):
    assert checks.check_otlp(_ctx(tmp_path)).status == "pass"
    monkeypatch.setattr(checks.importlib.util, "find_spec", lambda name: None)
    missing = checks.check_otlp(_ctx(tmp_path, otlp_endpoint="http://127.0.0.1:4318"))
    assert missing.status == "fail" and "SDK is not installed" in missing.message and "relay[otel]" in missing.fix


def test_otlp_check_reads_a_running_relays_export_state(relay_with, tmp_path):
    endpoint = f"http://127.0.0.1:{_free_port()}"     # nothing listens there
    ctx = _ctx(tmp_path, otlp_endpoint=endpoint)
    assert checks.check_otlp(ctx).status == "warn"    # no relay running: exports unknown
    relay = relay_with(endpoint)
    ctx = _ctx(tmp_path, port=relay.port, otlp_endpoint=endpoint)
    assert requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=False), headers=HEADERS,
                         timeout=10).ok
    # Metrics and spans are exported on timers of their own: wait for the span batch to have failed.
    health = eventually(lambda: (h := requests.get(f"{relay.url}/api/v1/health", timeout=5).json()["otlp"])
                        ["last_span_export_ok"] is False and h, "a failed span export", timeout=60)
    assert health["spans_dropped"] >= 1
    check = checks.check_otlp(ctx)
    assert check.status == "fail"
    assert "refused or did not answer the last export" in check.message and "dropped" in check.message
