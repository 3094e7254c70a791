"""relay serve in the background for `relay init`: detached, output to <data dir>/relay.log; serve
itself writes <data dir>/relay.pid. Health is GET /api/v1/health on loopback."""
import os
import signal
import subprocess
import time

from relay import paths
from relay.diagnostics.doctor.probes import health_at
from relay.errors import RelayError

START_TIMEOUT = 30.0


def url(port):
    return f"http://127.0.0.1:{port}"


def health(port, timeout=1.0):
    """relay's health answer at 127.0.0.1:port, or None."""
    return health_at(url(port), timeout)


def log_path(environ=None):
    return paths.data_dir(environ) / "relay.log"


def start(port, environ=None):
    """Start `relay serve --port PORT` detached and wait until it answers; returns its pid."""
    env = dict(os.environ if environ is None else environ)
    log = log_path(env)
    paths.private_dir(log.parent)
    fd = paths.open_private(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    with os.fdopen(fd, "ab") as out:
        proc = subprocess.Popen([*paths.self_command(), "serve", "--port", str(port)], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if health(port):
            return proc.pid
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    if proc.poll() is None:
        proc.terminate()
    tail = log.read_text(errors="replace")[-1500:]
    raise RelayError(f"relay serve did not come up on port {port}", hint=f"see {log}:\n{tail}")


def stop(pid):
    """SIGTERM the relay serve `pid` if it is still the process relay init started; True if sent."""
    try:
        import psutil  # optional compiled package: without it relay init cannot tell its server apart
        proc = psutil.Process(pid)
        if "serve" not in proc.cmdline():
            return False
    except Exception:   # gone, or not ours to inspect
        return False
    os.kill(pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except Exception:
        pass
    return True
