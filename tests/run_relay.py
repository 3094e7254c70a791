"""Run `python relay.py ...` as a user would: a subprocess with the test's isolated homes
(tests/conftest.py) plus any extra environment, stdin closed."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_relay(*args, **env):
    return subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], capture_output=True, text=True,
                          env={**os.environ, **env}, stdin=subprocess.DEVNULL, cwd=str(ROOT), timeout=120)


def assert_clean_error(done, message):
    """The house rule for a failed command: exit 2, `Error: <message>...` and a hint on stderr,
    never a traceback."""
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"Error: {message}") and "Hint:" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
