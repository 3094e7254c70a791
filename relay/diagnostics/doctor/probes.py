"""What the doctor checks measure: relay's health answer, whether a loopback port listens, whether
a pid is still a relay, a directory listing, free disk space. Network probes go only to loopback
addresses and to relay's configured host, with short timeouts, never through an HTTP proxy."""
import json
import os
import socket
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from relay import remote

LOOPBACK = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


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


def health_at(base_url, timeout=1.0, token=None):
    """relay's /api/v1/health answer at `base_url` as a dict, or None when relay does not answer.
    A relay with access tokens answers `{"ok": true, "auth_required": true}` unless `token` is one
    of its own (remote.needs_token)."""
    # No proxy handler: an HTTP_PROXY in the environment must never see this local probe.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(base_url + "/api/v1/health", headers=remote.headers(token))
    try:
        with opener.open(request, timeout=timeout) as resp:
            data = json.loads(resp.read(65536))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and data.get("ok") is True else None


def health(ctx):
    """The health answer of the relay the doctor Context names (with RELAY_TOKEN when set)."""
    return health_at(ctx.relay_url, ctx.timeout, remote.token(ctx.environ))


def relay_answers(url, timeout=1.0):
    """True when `url` is a loopback address where a relay answers its health probe."""
    ep = endpoint(url)
    if ep is None or ep[0] != "loopback":
        return False
    return health_at(f"http://127.0.0.1:{ep[1]}", timeout) is not None


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


def list_dir(path):
    with os.scandir(path) as it:
        return [e.name for e in it]


def free_space(ctx, where):
    """(the nearest existing folder of `where`, its free bytes)."""
    while not where.exists() and where != where.parent:
        where = where.parent
    return where, ctx.disk_usage(where).free


def pid_file(path):
    """(pid, port) from relay serve's pid file; either is 0 when missing or unreadable (an older
    relay wrote the pid alone)."""
    try:
        words = Path(path).read_text(errors="replace").split()
    except OSError:
        return 0, 0
    numbers = [int(w) if w.isdigit() else 0 for w in words[:2]]
    return (numbers + [0, 0])[0], (numbers + [0, 0])[1]


def pid_state(pid):
    """"dead", "relay" (alive, a relay process, or one whose command line cannot be read) or
    "other" (alive, and its command line does not mention relay: the pid was reused)."""
    if pid <= 0:
        return "dead"
    try:
        import psutil  # optional: without it, /proc or nothing
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            cmdline = " ".join(psutil.Process(pid).cmdline())
        except psutil.NoSuchProcess:
            return "dead"
        except psutil.Error:
            return "relay"      # alive but not ours to inspect: do not call it stale
        return "relay" if "relay" in cmdline or not cmdline else "other"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "dead"
    except PermissionError:
        return "relay"
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return "relay"          # no /proc (macOS, Windows): alive is all we can tell
    return "relay" if b"relay" in cmdline or not cmdline.strip() else "other"
