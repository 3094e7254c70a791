"""Run one task on one CLI as a subprocess: non-interactive flags, working dir, timeout, output
captured, exit status, duration and the tokens the CLI reports. The CLI inherits relay's
environment (its credentials stay in its own process; relay never reads or records them)."""
import os
import signal
import subprocess
import time
import uuid

from relay.errors import RelayError
from relay.orch.discover import find, spec_for

DEFAULT_TIMEOUT = 600.0
MAX_OUTPUT_CHARS = 200_000   # what a caller gets back; output_bytes still counts everything


def _kill_group(proc):
    # The CLIs spawn children (node launchers, tool shells); a timeout must stop all of them.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        proc.kill()


def run(name, task, cwd=None, timeout=DEFAULT_TIMEOUT, environ=None):
    """One attempt; never raises for a CLI that fails, times out or cannot start: the result says so."""
    if not task or not task.strip():
        raise RelayError("the task is empty", hint='give the task as text, e.g. "write tests for foo.py"', status=400)
    spec = spec_for(name)
    env = dict(os.environ if environ is None else environ)
    cwd = os.path.abspath(cwd or os.getcwd())
    if not os.path.isdir(cwd):
        raise RelayError(f"working directory {cwd} does not exist", status=400)
    result = {"id": uuid.uuid4().hex, "ts": time.time(), "cli": name, "cwd": cwd, "task": task, "status": "error",
              "exit_code": None, "duration_ms": 0.0, "output": "", "stderr": "", "output_bytes": 0,
              "input_tokens": None, "output_tokens": None, "total_tokens": None, "error": None}
    binary = find(name, env)
    if binary is None:
        result["error"] = f"{spec.binary} is not on PATH"
        return result
    started = time.monotonic()
    try:
        proc = subprocess.Popen(spec.argv(binary, task), cwd=cwd, env={**env, **spec.extra_env},
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as exc:
        result["error"] = f"could not start {binary}: {exc}"
        return result
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        result["status"] = "ok" if proc.returncode == 0 else "failed"
        result["exit_code"] = proc.returncode
        if proc.returncode != 0:
            result["error"] = f"{name} exited with status {proc.returncode}"
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        stdout, stderr = proc.communicate()
        result["status"] = "timeout"
        result["error"] = f"{name} did not finish within {timeout:g} s and was stopped"
    result["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    text = stdout.decode("utf-8", "replace")
    result["output_bytes"] = len(stdout)
    answer, tokens = spec.parse(text) if result["status"] == "ok" else (text, {})
    result.update(tokens)
    result["output"] = answer[:MAX_OUTPUT_CHARS]
    result["stderr"] = stderr.decode("utf-8", "replace")[-4000:]
    return result
