"""alive_sessions against real child processes named like the CLIs (a symlink to this Python
called `claude`, `codex`, ...), with real env vars, cwds and session files in the temp homes."""
import hashlib
import json
import os
import time

import pytest

from relay.clients import claude
from relay.sessions import alive
from tests.fake_clis import WAIT, FakeCLIs


@pytest.fixture
def clis(tmp_path):
    fakes = FakeCLIs(tmp_path / "bin")
    yield fakes
    fakes.stop()


@pytest.fixture
def spawn(clis):
    return clis.start


def _write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_claude_native_maps_cwd_to_newest_file_written_since_start(spawn, tmp_path, isolated_home):
    work = tmp_path / "my.project"
    work.mkdir()
    project = isolated_home / ".claude" / "projects" / claude.project_dir_name(str(work))
    old = _write(project / "old-session.jsonl", [{"type": "user"}])
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    proc = spawn("claude", work)
    [row] = alive.alive_sessions(None, processes=[proc])
    assert row["session_id"] is None, "a file older than the process belongs to a previous run"
    _write(project / "abc-123.jsonl", [{"type": "user"}])
    [row] = alive.alive_sessions(None, processes=[proc])
    assert row == {"cli": "claude", "pid": proc.pid, "cwd": str(work), "session_id": "abc-123",
                   "session_path": str(project / "abc-123.jsonl"), "connection": ["native"],
                   "started_at": proc.create_time(), "terminal": None}
    assert project.name.startswith("-") and "." not in project.name


def test_ssh_and_tmux_from_environment(spawn, tmp_path):
    proc = spawn("codex", tmp_path, env={"SSH_CONNECTION": "203.0.113.5 51000 10.0.0.2 22",
                                         "TMUX": "/tmp/tmux-1000/default,123,0"})
    [row] = alive.alive_sessions(None, processes=[proc])
    assert row["cli"] == "codex" and row["connection"] == ["ssh", "tmux"]


def test_tailscale_is_ssh_from_the_cgnat_range_and_screen_from_sty(spawn, tmp_path):
    proc = spawn("gemini", tmp_path, env={"SSH_CONNECTION": "100.101.7.9 51000 100.64.0.2 22", "STY": "42.pts-0"})
    [row] = alive.alive_sessions(None, processes=[proc])
    assert row["connection"] == ["tailscale", "screen"]


def test_sshd_ancestor_counts_as_ssh_without_the_env_var(spawn, clis, tmp_path):
    claude = clis.exe("claude")
    launch = (f"import subprocess, sys; c = subprocess.Popen([{str(claude)!r}, '-c', {WAIT!r}], "
              f"stdin=subprocess.PIPE); print(c.pid, flush=True); sys.stdin.read(); c.stdin.close(); c.wait()")
    sshd = spawn("sshd", tmp_path, code=launch)
    deadline = time.monotonic() + 10
    while not sshd.children() and time.monotonic() < deadline:
        time.sleep(0.02)
    child = sshd.children()[0]
    while alive.cli_of(child.name(), child.cmdline()) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    [row] = alive.alive_sessions(None, processes=[child])
    assert row["connection"] == ["ssh"]


def test_connection_combinations():
    assert alive.connection_of({}, ["bash", "mosh-server", "tmux: server"]) == ["mosh", "tmux"]
    assert alive.connection_of({"SSH_CLIENT": "10.1.1.1 5 22"}, ["screen"]) == ["ssh", "screen"]
    assert alive.connection_of({"SSH_CONNECTION": "100.128.0.1 5 x 22"}, []) == ["ssh"], "just outside 100.64/10"
    assert alive.connection_of({}, ["systemd", "bash"]) == ["native"]
    assert alive.connection_of({"SSH_CONNECTION": "fd7a:115c:a1e0::12 5 x 22"}, []) == ["tailscale"]
    assert alive.connection_of({"SSH_CONNECTION": "2001:db8::1 5 x 22"}, []) == ["ssh"]


def test_cli_names_from_launchers():
    assert alive.cli_of("node", ["node", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"]) == "claude"
    assert alive.cli_of("node", ["node", "--no-warnings", "/usr/local/bin/gemini"]) == "gemini"
    assert alive.cli_of("codex.exe", []) == "codex"
    assert alive.cli_of("node", ["node", "server.js"]) is None
    assert alive.cli_of("python3", ["python3", "-m", "relay"]) is None


def test_codex_by_session_meta_cwd_and_open_file_wins(spawn, tmp_path, isolated_home):
    work, other = tmp_path / "w", tmp_path / "other"
    work.mkdir(), other.mkdir()
    proc = spawn("codex", work)
    day = time.strftime("%Y/%m/%d")
    sessions = isolated_home / ".codex" / "sessions" / day
    _write(sessions / "rollout-a.jsonl", [{"type": "session_meta", "payload": {"id": "S-mine", "cwd": str(work)}}])
    _write(sessions / "rollout-b.jsonl", [{"type": "session_meta", "payload": {"id": "S-other", "cwd": str(other)}}])
    os.utime(sessions / "rollout-b.jsonl", (time.time() + 5, time.time() + 5))  # newer, wrong cwd
    [row] = alive.alive_sessions(None, processes=[proc])
    assert (row["session_id"], row["session_path"]) == ("S-mine", str(sessions / "rollout-a.jsonl"))

    held = sessions / "rollout-b.jsonl"
    holder = spawn("codex", other, code=f"f = open({str(held)!r}, 'a'); import sys; sys.stdin.read()")
    deadline = time.monotonic() + 10
    while not holder.open_files() and time.monotonic() < deadline:
        time.sleep(0.02)
    [row] = alive.alive_sessions(None, processes=[holder])
    assert row["session_id"] == "S-other"


def test_gemini_project_hash_dir(spawn, tmp_path, isolated_home):
    proc = spawn("gemini", tmp_path)
    chats = isolated_home / ".gemini" / "tmp" / hashlib.sha256(str(tmp_path).encode()).hexdigest() / "chats"
    _write(chats / "session-2026-11-23T10-00-d8aecb06.jsonl", [{"sessionId": "d8aecb06-full-id", "kind": "main"}])
    [row] = alive.alive_sessions(None, processes=[proc])
    assert row["session_id"] == "d8aecb06-full-id"


def test_launcher_reported_once_and_gone_processes_skipped(spawn, clis, tmp_path):
    codex = clis.exe("codex")
    launch = (f"import subprocess, sys; c = subprocess.Popen([{str(codex)!r}, '-c', {WAIT!r}], "
              f"stdin=subprocess.PIPE); sys.stdin.read(); c.stdin.close(); c.wait()")
    outer = spawn("codex", tmp_path, code=launch)
    deadline = time.monotonic() + 10
    while not outer.children() and time.monotonic() < deadline:
        time.sleep(0.02)
    inner = outer.children()[0]
    while alive.cli_of(inner.name(), inner.cmdline()) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    rows = alive.alive_sessions(None, processes=[outer, inner])
    assert [r["pid"] for r in rows] == [inner.pid]

    gone = spawn("claude", tmp_path)
    gone.kill()
    gone.wait(timeout=10)
    assert alive.alive_sessions(None, processes=[gone]) == [], "a process that exited is skipped, not an error"


def test_default_scan_of_the_machine_finds_a_real_child(spawn, tmp_path):
    proc = spawn("claude", tmp_path)
    assert proc.pid in [r["pid"] for r in alive.alive_sessions(None)]
