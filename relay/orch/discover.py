"""Which CLIs are installed: path, version, and whether credentials exist (names only, never
values). `probe` looks deeper at one CLI: its config files and where its traffic goes."""
import os
import re
import shutil
import subprocess
import threading
import time

from relay import clients
from relay.diagnostics.doctor.probes import relay_answers
from relay.orch.clis import NAMES, SPECS

VERSION_TIMEOUT = 10.0
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?(?:[-+.][0-9A-Za-z.]+)?")


def spec_for(name):
    clients.get(name)       # an unknown name is the user's error (400), not a KeyError
    return SPECS[name]


def find(name, environ=None):
    env = os.environ if environ is None else environ
    return shutil.which(clients.get(name).BINARY, path=env.get("PATH", os.defpath))


def version(binary_path, environ=None):
    """The first version-looking word of `<cli> --version`, or None when it does not answer."""
    try:
        done = subprocess.run([binary_path, "--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=VERSION_TIMEOUT, env=dict(os.environ if environ is None else environ))
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(done.stdout or done.stderr or "")
    return match.group(0) if done.returncode == 0 and match else None


def auth(name, environ=None):
    """{"state": "env"|"login"|"none", "env": [names set], "files": [names present]}."""
    return clients.get(name).auth(os.environ if environ is None else environ)


def status(name, environ=None, with_version=True):
    path = find(name, environ)
    return {"name": name, "installed": path is not None, "path": path,
            "version": version(path, environ) if path and with_version else None,
            "auth": auth(name, environ)}


def discover(environ=None, with_version=True):
    """One status per known CLI, installed or not."""
    return [status(n, environ, with_version) for n in NAMES]


def available(environ=None):
    """Names of the installed CLIs, in NAMES order (no version calls: this is on the routing path)."""
    return [n for n in NAMES if find(n, environ)]


def probe(name, environ=None):
    """status() plus the CLI's home, the config files that exist there, the base URL its traffic
    goes to, and whether that is a relay that answers."""
    env = os.environ if environ is None else environ
    out = status(name, env)
    client = clients.get(name)
    out["home"] = str(client.home(env))
    out["config_files"] = client.config_files(env)
    url = client.base_url(env)
    out["base_url"] = url
    out["through_relay"] = bool(url) and relay_answers(url)
    return out


class Cache:
    """discover() results reused for `ttl` seconds per PATH: the dashboard renders up to twice a
    second and each discovery runs every installed CLI's `--version`, so a render spawns those
    processes at most once per ttl. Safe to share between threads; concurrent askers of a stale
    entry wait for one discovery instead of starting their own."""

    def __init__(self, ttl=60.0, clock=None, run=None):
        self.ttl, self.clock = ttl, clock or time.monotonic
        self.run = run or discover
        self._lock = threading.Lock()
        self._entries = {}          # PATH -> (taken at, statuses)

    def get(self, environ=None):
        env = os.environ if environ is None else environ
        key = env.get("PATH", os.defpath)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self.clock() - entry[0] >= self.ttl:
                entry = self._entries[key] = (self.clock(), self.run(env))
            return entry[1]
