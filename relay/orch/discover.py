"""Which CLIs are installed: path, version, and whether credentials exist (names only, never
values). `probe` looks deeper at one CLI: its config files and where its traffic goes."""
import os
import re
import shutil
import subprocess
from pathlib import Path

from relay import paths
from relay.errors import RelayError
from relay.orch.clis import NAMES, SPECS

VERSION_TIMEOUT = 10.0
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?(?:[-+.][0-9A-Za-z.]+)?")
_HOMES = {"claude": paths.claude_home, "codex": paths.codex_home, "gemini": paths.gemini_home}


def spec_for(name):
    if name not in SPECS:
        raise RelayError(f"unknown CLI {name!r}", hint=f"choose one of {', '.join(NAMES)}", status=400)
    return SPECS[name]


def find(name, environ=None):
    env = os.environ if environ is None else environ
    return shutil.which(spec_for(name).binary, path=env.get("PATH", os.defpath))


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
    env = os.environ if environ is None else environ
    spec = spec_for(name)
    home = _HOMES[name](env)
    names = [v for v in spec.auth_env if env.get(v)]
    files = [f for f in spec.auth_files if (home / f).is_file()]
    return {"state": "env" if names else "login" if files else "none", "env": names, "files": files}


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


def _base_url(name, env, home):
    if name == "claude":
        from relay.diagnostics.doctor import read_json
        data, _ = read_json(home / "settings.json")
        configured = ((data or {}).get("env") or {}).get("ANTHROPIC_BASE_URL") if isinstance(data, dict) else None
        return configured or env.get("ANTHROPIC_BASE_URL")
    if name == "codex":
        from relay.setup import codex_config
        return codex_config.base_url(home / "config.toml")
    from relay.setup import env_file
    return env_file.read(home / ".env").get("GOOGLE_GEMINI_BASE_URL") or env.get("GOOGLE_GEMINI_BASE_URL")


def probe(name, environ=None):
    """status() plus the CLI's home, the config files that exist there, the base URL its traffic
    goes to, and whether that is a relay that answers."""
    env = os.environ if environ is None else environ
    out = status(name, env)
    home = _HOMES[name](env)
    configs = ["settings.json", "config.toml", ".env"]
    out["home"] = str(home)
    out["config_files"] = [c for c in configs if (home / c).is_file()]
    if name == "claude" and (Path(env.get("HOME") or Path.home()) / ".claude.json").is_file():
        out["config_files"].append(str(Path("~") / ".claude.json"))
    url = _base_url(name, env, home)
    out["base_url"] = url
    out["through_relay"] = bool(url) and _relay_answers(url)
    return out


def _relay_answers(url):
    from relay.diagnostics.doctor import endpoint
    from relay.setup.server import health
    ep = endpoint(url)
    if ep is None or ep[0] != "loopback":
        return False
    return health(ep[1]) is not None


class Cache:
    """discover() results reused for `ttl` seconds per PATH: the dashboard renders up to twice a
    second and each discovery runs every installed CLI's `--version`, so a render spawns those
    processes at most once per ttl. Safe to share between threads; concurrent askers of a stale
    entry wait for one discovery instead of starting their own."""

    def __init__(self, ttl=60.0, clock=None, run=None):
        import threading
        import time
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
