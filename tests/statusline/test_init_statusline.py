"""`relay init --statusline` installs `relay statusline` as Claude Code's status line, keeps a
user's own unless --force, and `relay init --undo` puts settings.json back byte for byte."""
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.relay_process import ROOT

# a user's own formatting (4-space indent, key order, no final newline) that a re-dump would change
ORIGINAL = b'{\n    "model": "opus",\n    "permissions": {"allow": ["Bash(ls:*)"]}\n}'
OWN_LINE = b'{"statusLine": {"type": "command", "command": "~/.claude/my-line.sh"}, "theme": "dark"}\n'


def init(*args):
    done = subprocess.run([sys.executable, str(ROOT / "relay.py"), "init", "--skip-server", "--port", "18083",
                           "--no-codex", "--no-gemini", "--format", "json", *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def settings():
    return Path(os.environ["RELAY_CLAUDE_HOME"]) / "settings.json"


def test_statusline_installed_then_undone_byte_for_byte():
    path = settings()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ORIGINAL)
    steps = {s["step"]: s for s in init("--statusline")["steps"]}
    assert steps["claude_statusline"]["status"] == "changed"
    line = json.loads(path.read_text())["statusLine"]
    # the quick-starting form: the interpreter without site-packages, on relay/statusline_entry.py
    assert line["type"] == "command" and line["command"].endswith("/relay/statusline_entry.py")
    assert f"{sys.executable} -I -S " in line["command"]
    assert f"RELAY_HOME={os.environ['RELAY_HOME']}" in line["command"]
    # the installed command runs and prints a line
    done = subprocess.run(line["command"], shell=True, input='{"model": {"display_name": "Opus"}}',
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "" and " Opus · $0.00 today\n" in done.stdout
    again = {s["step"]: s for s in init("--statusline")["steps"]}
    assert again["claude_statusline"]["status"] == "unchanged"
    init("--undo")
    assert path.read_bytes() == ORIGINAL


def test_a_users_own_status_line_is_kept_unless_forced():
    path = settings()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(OWN_LINE)
    steps = {s["step"]: s for s in init("--statusline")["steps"]}
    assert steps["claude_statusline"]["status"] == "skipped" and "--force" in steps["claude_statusline"]["detail"]
    assert json.loads(path.read_text())["statusLine"]["command"] == "~/.claude/my-line.sh"
    forced = {s["step"]: s for s in init("--statusline", "--force")["steps"]}
    assert forced["claude_statusline"]["status"] == "changed"
    assert json.loads(path.read_text())["statusLine"]["command"].endswith("statusline_entry.py")
    init("--undo")
    assert path.read_bytes() == OWN_LINE


def test_without_the_flag_no_status_line_is_set():
    init()
    assert "statusLine" not in json.loads(settings().read_text())
