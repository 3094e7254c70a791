"""`relay init` and `relay init --undo` as a user runs them, in the isolated HOME of each test."""
import json
import os
import socket
import stat
import subprocess
import sys
import time

import pytest

from relay import paths
from tests.orch import fake_cli
from tests.relay_process import ROOT

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib


def relay(*args, env=None):
    return subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, env=dict(os.environ if env is None else env))


def init(*args, port=9111):
    done = relay("init", "--port", str(port), "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    return {s["step"]: s for s in json.loads(done.stdout)["steps"]}


@pytest.fixture
def home(isolated_home, tmp_path, monkeypatch):
    """A HOME with existing Claude, Codex and Gemini config, and fake codex + gemini installed."""
    bin_dir = tmp_path / "bin"
    fake_cli.install(bin_dir, "codex")
    fake_cli.install(bin_dir, "gemini")
    monkeypatch.setenv("PATH", fake_cli.path_with(bin_dir))
    claude = isolated_home / ".claude"
    claude.mkdir()
    (claude / "settings.json").write_text('{"model": "opus",\n "env": {"FOO": "1"}}\n')
    (claude / "settings.json").chmod(0o640)
    (isolated_home / ".claude.json").write_text(json.dumps({"userID": "u1", "projects": {"/p": {"x": 1}}}))
    codex = isolated_home / ".codex"
    codex.mkdir()
    (codex / "config.toml").write_text('# mine\nmodel = "gpt-5-codex"\nmodel_provider = "openai"\n\n'
                                       '[analytics]\nenabled = false\n')
    return isolated_home


def snapshot(root):
    return {str(p.relative_to(root)): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_dry_run_plans_everything_and_writes_nothing(home):
    before = snapshot(home)
    steps = init("--dry-run", "--skip-server")
    assert [steps[s]["status"] for s in ("claude_settings", "claude_mcp", "codex", "gemini", "gemini_auth")] == \
           ["planned"] * 5
    assert snapshot(home) == before
    assert not paths.data_dir().exists()


def test_init_edits_in_place_keeps_modes_and_a_second_run_changes_nothing(home):
    steps = init("--skip-server")
    assert {s["status"] for s in steps.values()} >= {"changed"}
    assert steps["database"]["status"] == "changed" and paths.db_path().exists()

    settings = home / ".claude" / "settings.json"
    assert json.loads(settings.read_text()) == {"model": "opus", "env": {"FOO": "1",
                                                                         "ANTHROPIC_BASE_URL": "http://127.0.0.1:9111"}}
    assert stat.S_IMODE(settings.stat().st_mode) == 0o640
    claude_json = json.loads((home / ".claude.json").read_text())
    assert claude_json["userID"] == "u1" and claude_json["projects"] == {"/p": {"x": 1}}
    server = claude_json["mcpServers"]["relay"]
    assert [server["command"], *server["args"]] == [sys.executable, str(ROOT / "relay.py"), "mcp"]
    assert server["env"] == {"RELAY_HOME": os.environ["RELAY_HOME"]}

    codex = (home / ".codex" / "config.toml").read_text()
    parsed = tomllib.loads(codex)
    assert parsed["model_provider"] == "relay" and parsed["model"] == "gpt-5-codex"
    assert parsed["model_providers"]["relay"]["base_url"] == "http://127.0.0.1:9111/openai/v1"
    assert parsed["model_providers"]["relay"]["wire_api"] == "responses"
    assert parsed["analytics"] == {"enabled": False} and "# mine" in codex
    env_file = home / ".gemini" / ".env"
    assert "GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9111/gemini" in env_file.read_text().splitlines()
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600   # new files are never wider than 0600
    gemini_settings = json.loads((home / ".gemini" / "settings.json").read_text())
    assert gemini_settings["security"]["auth"]["selectedType"] == "gemini-api-key"

    before, backups = snapshot(home), sorted((paths.data_dir() / "init-backups").iterdir())
    again = init("--skip-server")
    assert {s["status"] for n, s in again.items() if n not in ("server", "health")} == {"unchanged"}
    assert snapshot(home) == before
    assert sorted((paths.data_dir() / "init-backups").iterdir()) == backups


def test_undo_restores_every_file_byte_for_byte_and_removes_what_it_created(home):
    before = snapshot(home)
    init("--skip-server")
    done = relay("init", "--undo")
    assert done.returncode == 0, done.stderr
    assert snapshot(home) == before
    assert not (home / ".gemini").exists()   # created by init, so removed with its files
    assert "restored" in done.stdout and "removed" in done.stdout
    assert "nothing to undo" in relay("init", "--undo").stdout


def test_undo_after_other_changes_takes_out_only_relays_part(home):
    init("--skip-server")
    claude_json = home / ".claude.json"
    data = json.loads(claude_json.read_text())
    data["numStartups"] = 3            # Claude Code rewrites this file all the time
    claude_json.write_text(json.dumps(data))
    codex = home / ".codex" / "config.toml"
    codex.write_text(codex.read_text() + '\n[tui]\ntheme = "dark"\n')
    assert relay("init", "--undo").returncode == 0
    assert json.loads(claude_json.read_text()) == {"userID": "u1", "projects": {"/p": {"x": 1}}, "numStartups": 3}
    parsed = tomllib.loads(codex.read_text())
    assert parsed == {"model": "gpt-5-codex", "model_provider": "openai", "analytics": {"enabled": False},
                      "tui": {"theme": "dark"}}


def test_broken_config_is_a_clear_error_and_nothing_is_written(home):
    settings = home / ".claude" / "settings.json"
    settings.write_text("{not json")
    done = relay("init", "--skip-server", "--port", "9111")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Error:" in done.stderr and "settings.json is not valid JSON" in done.stderr
    assert settings.read_text() == "{not json"
    done = relay("init", "--skip-server", "--port", "0")
    assert done.returncode == 2 and "Error: --port must be from 1 to 65535, got 0" in done.stderr


def test_doctor_accepts_the_registration_init_writes(home):
    init("--skip-server")
    done = relay("doctor", "--format", "json")
    [mcp] = [c for c in json.loads(done.stdout)["checks"] if c["name"] == "mcp"]
    assert mcp["status"] == "pass", mcp


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_init_starts_the_server_in_the_background_and_undo_stops_it(home):
    from relay.setup import server
    port = _free_port()
    try:
        steps = init(port=port)
        assert steps["server"]["status"] == "changed" and steps["health"]["status"] == "unchanged"
        assert server.health(port)["ok"] is True
        pid, recorded_port = map(int, (paths.data_dir() / "relay.pid").read_text().split())
        assert recorded_port == port
        assert "listening" in (paths.data_dir() / "relay.log").read_text()
        again = init(port=port)
        assert again["server"]["status"] == "unchanged"
        done = relay("init", "--undo")
        assert f"stopped relay serve (pid {pid})" in done.stdout
        deadline = time.time() + 10
        while server.health(port) and time.time() < deadline:
            time.sleep(0.1)
        assert server.health(port) is None
    finally:
        manifest = paths.data_dir() / "init-backups" / "manifest.json"
        if manifest.exists():
            started = json.loads(manifest.read_text()).get("server")
            if started:
                server.stop(started["pid"])
