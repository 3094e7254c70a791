"""SIGTERM always stops relay within its drain limit: with its stdout and stderr pipes closed by
whoever started it, and while a request is stuck on something else (a FIFO named like a
session file)."""
import os
import signal
import subprocess
import sys

from tests.relay_process import ROOT

STOP_LIMIT = 20   # the drain limit (5 s) plus the store's flush, with room for a loaded machine


def _start(upstream_url, env=None):
    proc = subprocess.Popen([sys.executable, str(ROOT / "relay.py"), "serve", "--port", "0",
                             "--upstream-anthropic", upstream_url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env or dict(os.environ))
    line = b""
    while not line.startswith(b"listening "):
        line = proc.stdout.readline()
        assert line or proc.poll() is None, proc.stderr.read().decode()
    return proc, line.split()[1].decode()


def test_sigterm_stops_relay_whose_pipes_are_closed(upstream):
    proc, _url = _start(upstream.url)
    try:
        proc.stdout.close()
        proc.stderr.close()   # relay's next write to stderr (the "stopping" line) gets EPIPE
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(STOP_LIMIT) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
