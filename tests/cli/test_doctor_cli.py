"""`relay doctor` as a user runs it: a subprocess with temp homes and a fake relay on loopback."""
import json
from pathlib import Path

from relay import paths
from relay.clients import claude
from relay.diagnostics.doctor import checks
from tests.health_server import dead_port, relay_up  # noqa: F401 (relay_up is a fixture)
from tests.proxy.conftest import upstream  # noqa: F401 (a fixture)
from tests.relay_process import RelayProcess
from tests.run_relay import run_relay as relay


def test_doctor_json_lists_every_check_and_exits_0_on_warnings():
    proc = relay("doctor", "--format", "json", RELAY_PORT=str(dead_port()))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and [c["name"] for c in report["checks"]] == [c.__name__.removeprefix("check_")
                                                                              for c in checks.CHECKS]
    assert {c["status"] for c in report["checks"]} <= {"pass", "warn"}
    runtime = {c["name"]: c for c in report["checks"]}["runtime"]
    assert runtime["name"] == "runtime" and runtime["message"].startswith("source ")
    assert "server: gevent" in runtime["message"] and "liveness: psutil" in runtime["message"]


def test_doctor_exits_1_when_a_check_fails():
    port = dead_port()
    proc = relay("doctor", RELAY_PORT=str(port), ANTHROPIC_BASE_URL=f"http://127.0.0.1:{port}")
    assert proc.returncode == 1
    assert "FAIL  claude_settings" in proc.stdout and "fix: start relay" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_doctor_fix_backs_up_what_it_changes(relay_up):  # noqa: F811 (the fixture)
    settings = claude.settings_path()
    settings.parent.mkdir(parents=True)
    settings.write_text('{"theme": "dark"}')
    pid_file = paths.data_dir() / "relay.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text("999999999")
    proc = relay("doctor", "--fix", "--format", "json", RELAY_PORT=str(relay_up))
    report = json.loads(proc.stdout)
    fixed = {a["check"]: a for a in report["fixed"]}
    assert set(fixed) == {"claude_settings", "stale_pids"}
    assert Path(fixed["claude_settings"]["backup"]).read_text() == '{"theme": "dark"}'
    assert json.loads(settings.read_text())["env"]["ANTHROPIC_BASE_URL"] == f"http://127.0.0.1:{relay_up}"
    assert not pid_file.exists() and Path(fixed["stale_pids"]["backup"]).read_text() == "999999999"
    assert report["checks"][0]["status"] == "pass"


def test_doctor_plain_and_rich_formats():
    plain = relay("doctor", RELAY_PORT=str(dead_port()))
    assert plain.stdout.count("\n") >= 8 and "passed," in plain.stdout
    rich = relay("doctor", "--format", "rich", RELAY_PORT=str(dead_port()), COLUMNS="200")
    assert rich.returncode == 0 and "env_conflicts" in rich.stdout


def test_doctor_finds_a_relay_on_a_non_default_port(upstream):  # noqa: F811 (the fixture)
    with RelayProcess(upstream.url) as running:     # port 0: any port but the configured 8083
        doctor = json.loads(relay("doctor", "--format", "json", RELAY_PORT=str(dead_port())).stdout)
        checks = {c["name"]: c for c in doctor["checks"]}
        assert f"http://127.0.0.1:{running.port}" in checks["claude_settings"]["fix"], checks["claude_settings"]
        assert "after starting relay" not in checks["claude_settings"]["fix"]
        assert f"port {running.port})" in checks["stale_pids"]["message"]
