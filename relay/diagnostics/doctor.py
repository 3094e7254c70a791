"""`relay doctor`: eight checks of the setup around relay, each pass / warn / fail with a fix.

  1 claude_settings  Claude Code's ANTHROPIC_BASE_URL (settings.json env, process env) points at
                     relay, and relay answers GET /api/v1/health
  2 mcp              relay is registered as an MCP server (~/.claude.json user or project scope,
                     or ./.mcp.json) and its command and script exist
  3 database         relay.db passes PRAGMA integrity_check (quick_check over 256 MB) and its
                     schema is the one this relay writes
  4 session_dirs     the Claude Code, Codex and Gemini session directories are readable
  5 disk_space       free space where the data dir lives
  6 stale_pids       *.pid / *.lock files in the data dir whose process is gone
  7 env_conflicts    base-URL variables pointing at a local port where nothing listens, settings
                     and environment disagreeing, an API key and an auth token both set
  8 runtime          layout (source, installed, zipapp, binary), build commit, and the modes the
                     optional compiled parts allow: server gevent or waitress, liveness via
                     psutil or /proc, MCP available or not
`run(ctx, fix=True)` applies only the fixes marked safe (pointing Claude Code at a relay that
answers, migrating the database, removing stale pid files), each after a timestamped backup of
the file it changes, then runs the checks again. Network probes go only to loopback addresses
and to relay's configured host, with short timeouts.
"""
import json
import os
import shutil
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from relay import paths

STATUSES = ("pass", "warn", "fail")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "0.0.0.0")
FULL_CHECK_MAX_BYTES = 256 << 20
WARN_FREE_BYTES = 1 << 30
FAIL_FREE_BYTES = 100 << 20


@dataclass
class Check:
    name: str
    status: str
    message: str
    fix: str | None = None
    apply: Callable | None = field(default=None, repr=False)   # the safe fix: () -> list of actions

    def to_dict(self):
        return {"name": self.name, "status": self.status, "message": self.message, "fix": self.fix,
                "fixable": self.apply is not None}


@dataclass
class Context:
    """What the checks look at; tests build their own."""
    settings: dict
    environ: dict
    cwd: Path
    timeout: float = 1.0
    disk_usage: Callable = shutil.disk_usage

    @property
    def home(self):
        return Path(self.environ.get("HOME") or Path.home())

    @property
    def relay_url(self):
        host = self.settings["host"]
        host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        return f"http://[{host}]:{self.settings['port']}" if ":" in host else f"http://{host}:{self.settings['port']}"


# --- shared probes ---------------------------------------------------------------------------

def endpoint(url):
    """(host, port) of a URL, loopback names folded into one; None when it is not a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except (AttributeError, ValueError):
        return None
    if not parts.hostname or port is None:
        return None
    host = "loopback" if parts.hostname in LOOPBACK else parts.hostname
    return host, port


def health(ctx):
    """relay's /api/v1/health answer as a dict, or None when relay does not answer."""
    # No proxy handler: an HTTP_PROXY in the environment must never see this local probe.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(ctx.relay_url + "/api/v1/health", timeout=ctx.timeout) as resp:
            data = json.loads(resp.read(65536))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and data.get("ok") is True else None


def listening(url, timeout):
    """True when something accepts TCP connections at a loopback URL; None for other hosts."""
    ep = endpoint(url)
    if ep is None or ep[0] != "loopback":
        return None
    try:
        with socket.create_connection(("127.0.0.1", ep[1]), timeout=timeout):
            return True
    except OSError:
        return False


def backup_path(path):
    """A free `<name>.bak-<timestamp>` path beside `path`."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target, n = path.with_name(f"{path.name}.bak-{stamp}"), 1
    while target.exists():
        target, n = path.with_name(f"{path.name}.bak-{stamp}-{n}"), n + 1
    return target


def backup(path):
    """Copy `path` (bytes and times) to a timestamped backup beside it; return the copy's path."""
    target = backup_path(path)
    shutil.copy2(path, target)
    return target


def write_json(path, data):
    """Write JSON through a temp file beside `path`, so a crash never leaves half a file."""
    tmp = path.with_name(path.name + ".relay-tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path):
    """(data, error): data is None when the file is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        return None, f"{path} is not readable JSON ({exc})"


def claude_settings_path(ctx):
    return paths.claude_home(ctx.environ) / "settings.json"


def settings_base_url(ctx):
    data, _ = read_json(claude_settings_path(ctx))
    env = data.get("env") if isinstance(data, dict) else None
    value = env.get("ANTHROPIC_BASE_URL") if isinstance(env, dict) else None
    return value if isinstance(value, str) and value else None


def run(ctx, fix=False):
    """Run the eight checks; with `fix`, apply the safe fixes and check again."""
    from relay.diagnostics import doctor_checks
    checks = [_guarded(c, ctx) for c in doctor_checks.CHECKS]
    actions = []
    if fix:
        for check in checks:
            if check.apply is None:
                continue
            try:
                actions.extend({"check": check.name, **a} for a in check.apply())
            except (OSError, sqlite3.Error, ValueError) as exc:
                actions.append({"check": check.name, "did": f"fix failed: {exc}", "backup": None})
        if actions:
            checks = [_guarded(c, ctx) for c in doctor_checks.CHECKS]
    return {"ok": all(c.status != "fail" for c in checks), "checks": [c.to_dict() for c in checks],
            "fixed": actions}


def _guarded(check_fn, ctx):
    name = check_fn.__name__.removeprefix("check_")
    try:
        return check_fn(ctx)
    except Exception as exc:  # a broken check is reported, the other six still run
        return Check(name, "fail", f"the check itself failed: {type(exc).__name__}: {exc}",
                     "please report this with the output of `relay doctor --format json`")
