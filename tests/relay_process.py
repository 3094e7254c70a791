"""Start a real `relay serve` subprocess on 127.0.0.1:0 and learn its port from its stdout."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class RelayProcess:
    """All three mounts go to the same upstream: tests/fake_upstream.py speaks every wire format."""

    all_stderr = []   # every line any relay wrote to stderr in this run (tests/conftest.py scans it for secrets)

    def __init__(self, upstream_url, *extra_args, env=None, command=None, cwd=None, preexec_fn=None):
        # command: how relay is run (default this checkout's relay.py; tests/artifacts runs built ones)
        self.cwd = str(cwd or ROOT)
        self.args = [*(command or [sys.executable, str(ROOT / "relay.py")]), "serve", "--port", "0",
                     "--upstream-anthropic", upstream_url, "--upstream-openai", upstream_url,
                     "--upstream-gemini", upstream_url, "--upstream-chatgpt", upstream_url,
                     "--upstream-code-assist", upstream_url, *extra_args]
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.preexec_fn = preexec_fn   # runs in the child before exec (resource limits in fault tests)
        self.proc = None
        self.url = None
        self.stderr_lines = []

    def start(self, timeout=30):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd, text=True,
                                     preexec_fn=self.preexec_fn)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening "):
                self.url = line.split()[1]
                return self
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("relay did not start:\n" + "".join(self.stderr_lines))

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)
            RelayProcess.all_stderr.append(line)

    def wait_stderr(self, text, timeout=10):
        """True once a stderr line containing `text` has been read (stderr is read by a thread)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(text in line for line in self.stderr_lines):
                return True
            time.sleep(0.02)
        return False

    @property
    def port(self):
        return int(self.url.rsplit(":", 1)[1])

    def stop(self, sig=None, timeout=15):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        if sig is None:
            self.proc.terminate()
        else:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
