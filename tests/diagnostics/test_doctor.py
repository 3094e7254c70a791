import json
import os
import sqlite3
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from relay import config, paths
from relay.clients import claude, codex, gemini
from relay.diagnostics.doctor import Context, checks, probes, run
from relay.setup import init
from relay.store import Store, migrations
from tests.health_server import VERSION, dead_port, relay_up  # noqa: F401 (relay_up is a fixture)

Usage = namedtuple("Usage", "total used free")


def make_ctx(tmp_path, port, **env):
    environ = {**os.environ, "RELAY_PORT": str(port), **env}
    return Context(settings=config.load(environ=environ), environ=environ, cwd=tmp_path, timeout=0.5)


def check(name, ctx):
    return next(c for c in run(ctx)["checks"] if c["name"] == name)


def settings_file(data):
    path = claude.settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_run_reports_exactly_twelve_checks(tmp_path):
    report = run(make_ctx(tmp_path, dead_port()))
    assert [c["name"] for c in report["checks"]] == ["claude_settings", "clis_via_relay", "mcp", "client_configs",
                                                     "database",
                                                     "session_dirs", "disk_space", "stale_pids", "env_conflicts",
                                                     "runtime", "team_relay", "otlp"]
    assert all(c["status"] in ("pass", "warn", "fail") and c["message"] for c in report["checks"])
    assert all(c["fix"] for c in report["checks"] if c["status"] != "pass")


# --- 1. claude_settings ---------------------------------------------------------------------

def test_settings_pointing_at_a_live_relay_pass(tmp_path, relay_up, monkeypatch):
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{dead_port()}")    # the probe must not use it
    settings_file({"env": {"ANTHROPIC_BASE_URL": f"http://localhost:{relay_up}/"}})
    c = check("claude_settings", make_ctx(tmp_path, relay_up))
    assert c["status"] == "pass" and VERSION in c["message"]


def test_settings_pointing_at_relay_that_does_not_answer_fail(tmp_path):
    port = dead_port()
    c = check("claude_settings", make_ctx(tmp_path, port, ANTHROPIC_BASE_URL=f"http://127.0.0.1:{port}"))
    assert c["status"] == "fail" and "relay serve" in c["fix"] and not c["fixable"]


def test_codex_and_gemini_pointed_at_a_relay_that_is_not_running_fail_clearly(tmp_path):
    port = dead_port()
    environ = {**os.environ, "RELAY_PORT": str(port)}
    init.run(port, environ, skip_server=True, codex=True, gemini=True)
    c = check("clis_via_relay", make_ctx(tmp_path, port))
    assert c["status"] == "fail" and "Codex" in c["message"] and "Gemini CLI" in c["message"]
    assert "relay is not running" in c["message"] and "relay serve" in c["fix"] and "--undo" in c["fix"]


def test_codex_chatgpt_login_pointed_at_a_live_relay_passes(tmp_path, relay_up):
    codex.home().mkdir(parents=True)
    (codex.home() / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": None, "tokens": {"access_token": "x.y.z"}}))
    init.run(relay_up, {**os.environ, "RELAY_PORT": str(relay_up)}, skip_server=True, codex=True, gemini=False)
    c = check("clis_via_relay", make_ctx(tmp_path, relay_up))
    assert c["status"] == "pass" and "Codex" in c["message"] and "/backend-api/codex" in c["message"]


def test_fix_points_claude_code_at_relay_after_a_backup(tmp_path, relay_up):
    path = settings_file({"model": "opus", "env": {"FOO": "1"}})
    before = path.read_bytes()
    ctx = make_ctx(tmp_path, relay_up)
    assert check("claude_settings", ctx)["fixable"]
    report = run(ctx, fix=True)
    [action] = [a for a in report["fixed"] if a["check"] == "claude_settings"]
    assert Path(action["backup"]).read_bytes() == before
    url = f"http://127.0.0.1:{relay_up}"
    assert json.loads(path.read_text()) == {"model": "opus", "env": {"FOO": "1", "ANTHROPIC_BASE_URL": url}}
    assert report["checks"][0]["status"] == "pass"


def test_init_undo_takes_back_what_doctor_fix_changed(tmp_path, relay_up):  # noqa: F811 (the fixture)
    # one backup-and-undo scheme: doctor --fix records its edit where `relay init --undo` finds it
    path = settings_file('{"model": "opus",   "env": {"FOO": "1"}}\n')
    before, mode = path.read_bytes(), path.stat().st_mode
    [action] = [a for a in run(make_ctx(tmp_path, relay_up), fix=True)["fixed"] if a["check"] == "claude_settings"]
    assert path.read_bytes() != before and Path(action["backup"]).read_bytes() == before
    report = init.undo()
    assert path.read_bytes() == before and path.stat().st_mode == mode
    assert any(str(path) in line for line in report["undone"])


def test_init_undo_removes_a_settings_file_doctor_fix_created(tmp_path, relay_up):  # noqa: F811 (the fixture)
    path = claude.settings_path()
    [action] = [a for a in run(make_ctx(tmp_path, relay_up), fix=True)["fixed"] if a["check"] == "claude_settings"]
    assert path.is_file() and action["backup"] is None
    init.undo()
    assert not path.exists()


def test_no_fix_offered_while_relay_is_down_or_another_proxy_is_live(tmp_path, relay_up):
    assert not check("claude_settings", make_ctx(tmp_path, dead_port()))["fixable"]
    settings_file({"env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}})
    other = make_ctx(tmp_path, dead_port(), ANTHROPIC_BASE_URL=f"http://127.0.0.1:{relay_up}")
    c = check("claude_settings", other)
    assert c["status"] == "warn" and not c["fixable"]


def test_unreadable_settings_json_fails(tmp_path):
    settings_file("{not json")
    c = check("claude_settings", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "fail" and "JSON" in c["message"]


# --- 2. mcp ----------------------------------------------------------------------------------

def _claude_json(data):
    (Path(os.environ["HOME"]) / ".claude.json").write_text(json.dumps(data))


def test_mcp_registered_in_user_scope_passes(tmp_path):
    _claude_json({"mcpServers": {"relay": {"type": "stdio", "command": sys.executable, "args": ["relay.py", "mcp"]}}})
    c = check("mcp", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "pass" and "user scope" in c["message"]


def test_mcp_json_registration_passes_once_approved(tmp_path):
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"r": {"command": sys.executable,
                                                                         "args": ["-m", "relay", "mcp"]}}}))
    c = check("mcp", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "warn" and "not approved" in c["message"] and '["r"]' in c["fix"]
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.local.json").write_text(json.dumps({"enabledMcpjsonServers": ["r"]}))
    c = check("mcp", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "pass" and ".mcp.json" in c["message"]


def test_mcp_missing_registration_or_command(tmp_path):
    assert check("mcp", make_ctx(tmp_path, dead_port()))["status"] == "warn"
    _claude_json({"projects": {"/elsewhere": {"mcpServers": {"relay": {"command": sys.executable}}}}})
    c = check("mcp", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "warn" and "/elsewhere" in c["message"]
    _claude_json({"projects": {str(tmp_path): {"mcpServers": {"relay": {"command": "/nonexistent/relay"}}}}})
    c = check("mcp", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "fail" and "claude mcp remove relay" in c["fix"]


def test_mcp_registration_whose_script_is_gone_fails(tmp_path):
    _claude_json({"mcpServers": {"relay": {"command": sys.executable,
                                           "args": [str(tmp_path / "old" / "relay.py"), "mcp"]}}})
    c = check("mcp", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "fail" and "relay.py mcp" in c["message"] and "relay init" in c["fix"]


# --- 2b. client_configs ---------------------------------------------------------------------

def test_client_configs_pass_when_readable_or_absent(tmp_path):
    assert check("client_configs", make_ctx(tmp_path, dead_port()))["status"] == "pass"
    _claude_json({"mcpServers": {"relay": claude.mcp_spec(os.environ)}})
    assert check("client_configs", make_ctx(tmp_path, dead_port()))["status"] == "pass"


def test_corrupt_claude_json_fails_without_a_fix(tmp_path):
    claude.user_config_path().write_text('{"mcpServers": {')
    c = check("client_configs", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "fail" and ".claude.json" in c["message"] and not c["fixable"]


def test_null_bytes_in_claude_json_are_removed_by_fix_and_undone_by_init_undo(tmp_path):
    path = claude.user_config_path()
    before = b'{"numStartups": 3}' + b"\0" * 40
    path.write_bytes(before)
    c = check("client_configs", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "fail" and "40 null byte(s)" in c["message"] and c["fixable"]
    report = run(make_ctx(tmp_path, dead_port()), fix=True)
    assert [a["check"] for a in report["fixed"]] == ["client_configs"]
    assert path.read_bytes() == b'{"numStartups": 3}'
    assert next(c for c in report["checks"] if c["name"] == "client_configs")["status"] == "pass"
    init.undo()
    assert path.read_bytes() == before


def test_stale_relay_mcp_entry_is_rewritten_by_fix(tmp_path):
    _claude_json({"numStartups": 3, "mcpServers": {"relay": {"command": str(tmp_path / "gone" / "relay"),
                                                             "args": ["mcp"]}}})
    c = check("client_configs", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "fail" and "mcpServers.relay" in c["message"] and c["fixable"]
    run(make_ctx(tmp_path, dead_port()), fix=True)
    data = json.loads(claude.user_config_path().read_text())
    assert data["mcpServers"]["relay"] == claude.mcp_spec(os.environ) and data["numStartups"] == 3


def test_relay_mcp_entry_on_a_dead_port_fails(tmp_path):
    _claude_json({"mcpServers": {"relay": {"type": "http", "url": f"http://127.0.0.1:{dead_port()}/mcp"}}})
    c = check("client_configs", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "fail" and "is gone" in c["message"]


def test_corrupt_codex_config_is_a_failed_check_with_line_and_column(tmp_path):
    path = codex.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('model = "o3"\n[broken\nkey = 1\n')
    report = run(make_ctx(tmp_path, dead_port()))
    c = next(c for c in report["checks"] if c["name"] == "client_configs")
    assert c["status"] == "fail" and "config.toml" in c["message"] and "line 2" in c["message"]
    assert "column" in c["message"] and not report["ok"]


# --- 3. database -----------------------------------------------------------------------------

def test_database_absent_or_current_passes(tmp_path):
    ctx = make_ctx(tmp_path, dead_port())
    assert "no database yet" in check("database", ctx)["message"]
    Store(paths.db_path()).close()
    c = check("database", ctx)
    assert c["status"] == "pass" and "integrity_check" in c["message"]


def test_garbage_database_fails(tmp_path):
    db = paths.db_path()
    db.parent.mkdir(parents=True)
    db.write_bytes(b"not a database at all" * 100)
    assert check("database", make_ctx(tmp_path, dead_port()))["status"] == "fail"


def test_database_from_a_newer_relay_fails(tmp_path):
    Store(paths.db_path()).close()
    with sqlite3.connect(paths.db_path()) as conn:
        conn.execute("INSERT INTO _relay_migrations VALUES ('m999_future', 0)")
    c = check("database", make_ctx(tmp_path, dead_port()))
    assert c["status"] == "fail" and "m999_future" in c["message"]


def test_pending_migration_is_applied_by_fix_after_a_backup(tmp_path, monkeypatch):
    Store(paths.db_path()).close()

    def m999_doctor_test(conn):
        conn.execute("CREATE TABLE doctor_test (x)")
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS + [m999_doctor_test])
    ctx = make_ctx(tmp_path, dead_port())
    c = check("database", ctx)
    assert c["status"] == "warn" and c["fixable"] and "1 migration(s) pending" in c["message"]
    report = run(ctx, fix=True)
    [action] = [a for a in report["fixed"] if a["check"] == "database"]
    assert Path(action["backup"]).exists()
    assert check("database", ctx)["status"] == "pass"


# --- 4. session_dirs -------------------------------------------------------------------------

def test_session_dirs(tmp_path, monkeypatch):
    ctx = make_ctx(tmp_path, dead_port())
    assert check("session_dirs", ctx)["status"] == "warn"
    codex.session_root().mkdir(parents=True)
    c = check("session_dirs", ctx)
    assert c["status"] == "pass" and "codex" in c["message"]
    gemini.home().mkdir(parents=True)
    gemini.session_root().write_text("oops")
    c = check("session_dirs", ctx)
    assert c["status"] == "fail" and "not a directory" in c["message"]
    gemini.session_root().unlink()

    def denied(path):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(probes, "list_dir", denied)
    c = check("session_dirs", ctx)
    assert c["status"] == "fail" and "Permission denied" in c["message"] and "chmod" in c["fix"]


# --- 5. disk_space ---------------------------------------------------------------------------

@pytest.mark.parametrize("free,status", [(50 << 20, "fail"), (500 << 20, "warn"), (10 << 30, "pass")])
def test_disk_space_thresholds(tmp_path, free, status):
    ctx = make_ctx(tmp_path, dead_port())
    seen = []
    ctx.disk_usage = lambda p: seen.append(p) or Usage(100 << 30, 0, free)
    assert check("disk_space", ctx)["status"] == status
    assert seen and seen[0].exists()


# --- 6. stale_pids ---------------------------------------------------------------------------

def _gone_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_pid_file_is_removed_by_fix_after_a_backup(tmp_path):
    pid_file = paths.data_dir() / "relay.pid"
    pid_file.parent.mkdir(parents=True)
    gone = str(_gone_pid())
    pid_file.write_text(gone)
    ctx = make_ctx(tmp_path, dead_port())
    c = check("stale_pids", ctx)
    assert c["status"] == "warn" and c["fixable"] and f"relay.pid (pid {gone} is gone)" in c["message"]
    report = run(ctx, fix=True)
    [action] = [a for a in report["fixed"] if a["check"] == "stale_pids"]
    assert not pid_file.exists() and Path(action["backup"]).read_text() == gone
    assert check("stale_pids", ctx)["status"] == "pass"


def test_the_data_dir_lock_is_never_stale(tmp_path):
    # relay serve keeps an empty relay.lock (its flock target) in the data dir; --fix must leave it
    lock = paths.data_dir() / "relay.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")
    ctx = make_ctx(tmp_path, dead_port())
    assert check("stale_pids", ctx)["status"] == "pass"
    run(ctx, fix=True)
    assert lock.exists()


def test_live_relay_pid_passes_and_a_reused_pid_is_stale(tmp_path, monkeypatch):
    proc = subprocess.Popen([sys.executable, "-c", "import signal; print('up', flush=True); signal.pause()",
                             "relay", "serve"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "up\n"      # running its own command line by now
        assert probes.pid_state(proc.pid) == "relay"
        pid_file = paths.data_dir() / "relay.pid"
        pid_file.parent.mkdir(parents=True)
        pid_file.write_text(str(proc.pid))
        ctx = make_ctx(tmp_path, dead_port())
        c = check("stale_pids", ctx)
        assert c["status"] == "pass" and str(proc.pid) in c["message"]
        monkeypatch.setattr(probes, "pid_state", lambda pid: "other")
        assert check("stale_pids", ctx)["status"] == "warn"
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("hide_psutil", [False, True])
def test_pid_state_with_and_without_psutil(monkeypatch, hide_psutil):
    if hide_psutil:
        monkeypatch.setitem(sys.modules, "psutil", None)      # import psutil now raises ImportError
    assert probes.pid_state(_gone_pid()) == "dead"
    assert probes.pid_state(0) == "dead"
    proc = subprocess.Popen([sys.executable, "-c", "import signal; print('up', flush=True); signal.pause()", "relay"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "up\n"
        assert probes.pid_state(proc.pid) == "relay"
    finally:
        proc.kill()
        proc.wait()


# --- 7. env_conflicts ------------------------------------------------------------------------

def test_env_without_conflicts_passes(tmp_path):
    assert check("env_conflicts", make_ctx(tmp_path, dead_port()))["status"] == "pass"


def test_base_url_on_a_dead_local_port_fails(tmp_path):
    port = dead_port()
    c = check("env_conflicts", make_ctx(tmp_path, dead_port(), OPENAI_BASE_URL=f"http://localhost:{port}/v1"))
    assert c["status"] == "fail" and f"OPENAI_BASE_URL=http://localhost:{port}/v1" in c["message"]
    relay_port = dead_port()    # relay's own address is check 1's business
    c = check("env_conflicts", make_ctx(tmp_path, relay_port, ANTHROPIC_BASE_URL=f"http://127.0.0.1:{relay_port}"))
    assert c["status"] == "pass"


def test_disagreeing_urls_and_two_credentials_warn(tmp_path):
    settings_file({"env": {"ANTHROPIC_BASE_URL": "https://proxy-a.example"}})
    c = check("env_conflicts", make_ctx(tmp_path, dead_port(), ANTHROPIC_BASE_URL="https://proxy-b.example"))
    assert c["status"] == "warn" and "proxy-b.example" in c["message"]
    c = check("env_conflicts", make_ctx(tmp_path, dead_port(), ANTHROPIC_API_KEY="k", ANTHROPIC_AUTH_TOKEN="t"))
    assert c["status"] == "warn" and "AUTH_TOKEN" in c["message"]


def test_only_loopback_urls_are_probed():
    assert probes.listening("http://example.com:80", 0.1) is None
    assert probes.endpoint("http://localhost:8083/") == probes.endpoint("http://127.0.0.1:8083")
    assert probes.endpoint("not a url") is None


def test_a_crashing_check_fails_alone(tmp_path, monkeypatch):
    def check_boom(ctx):
        raise RuntimeError("kaput")
    monkeypatch.setattr(checks, "CHECKS", [check_boom] + checks.CHECKS[1:])
    report = run(make_ctx(tmp_path, dead_port()))
    assert report["checks"][0] == {"name": "boom", "status": "fail", "fixable": False,
                                   "message": "the check itself failed: RuntimeError: kaput",
                                   "fix": "please report this with the output of `relay doctor --format json`"}
    assert len(report["checks"]) == len(checks.CHECKS) and report["ok"] is False


def test_mcp_registration_in_the_binary_names_the_binary(monkeypatch, tmp_path):
    monkeypatch.setattr(checks.shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "relay"))
    # the same entry `relay init` writes (paths.self_command): the binary is its own command
    expected = f"relay init (or: claude mcp add --scope user relay -- {tmp_path / 'relay'} mcp)"
    assert checks._register_command() == expected
