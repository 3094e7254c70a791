"""Fake `claude` / `codex` / `gemini` executables for delegation tests: shell scripts on a PATH
dir that answer --version and then behave as told (answer, fail, hang)."""
import os
import stat
import sys
from pathlib import Path

# Behaviours, written as a Python body run by the fake; argv is the real argv relay built.
ANSWERS = {
    "claude": 'print(json.dumps({"type": "result", "result": "done by claude", "session_id": "s1",'
              ' "usage": {"input_tokens": 5, "cache_read_input_tokens": 10, "output_tokens": 3}}))',
    "codex": 'print(json.dumps({"type": "item.completed",'
             ' "item": {"type": "agent_message", "text": "done by codex"}}));'
             'print(json.dumps({"type": "turn.completed", "usage": {"input_tokens": 40, "output_tokens": 2}}))',
    "gemini": 'print(json.dumps({"type": "message", "role": "assistant", "content": "done by gemini"}));'
              'print(json.dumps({"type": "result",'
              ' "stats": {"input_tokens": 20, "output_tokens": 10, "total_tokens": 30}}))',
}
FAIL = 'sys.stderr.write("boom\\n"); sys.exit(3)'
# Hangs in a child process too, so a timeout must kill the whole group, not just the CLI.
HANG_MARK = "relay-test-hang"
HANG = ('import signal, subprocess; subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()", '
        f'"{HANG_MARK}"]); signal.pause()')


def install(bin_dir, name, behaviour=None, version="1.2.3"):
    """Write bin_dir/name; behaviour defaults to the CLI's normal answer. Every call appends its
    argv, cwd and GEMINI_CLI_TRUST_WORKSPACE to bin_dir/name.calls."""
    bin_dir = Path(bin_dir)
    bin_dir.mkdir(parents=True, exist_ok=True)
    body = behaviour or ANSWERS[name]
    script = f"""#!{sys.executable}
import json, os, sys, time
if sys.argv[1:] == ["--version"]:
    print("{name} {version}"); sys.exit(0)
with open({str(bin_dir / (name + '.calls'))!r}, "a") as fh:
    fh.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(),
                          "trust": os.environ.get("GEMINI_CLI_TRUST_WORKSPACE")}}) + "\\n")
{body}
"""
    path = bin_dir / name
    path.write_text(script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def calls(bin_dir, name):
    import json
    path = Path(bin_dir) / (name + ".calls")
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def path_with(bin_dir):
    """PATH holding only the fakes and the system dirs (never a real claude/codex/gemini)."""
    return os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
