"""Running claude, codex and gemini processes, the session file each writes, and how the user
reached the terminal it runs in (native, ssh, tailscale, mosh, tmux, screen and combinations).

Everything comes from psutil, so it works the same on Linux, macOS and Windows; a process we may
not inspect (another user's, a zombie, one that just exited) is skipped or reported with what
could be read, never an error. The process source is injectable so tests can hand in real
child processes of their own instead of scanning the machine.

Shape of one entry (the /display/ page, the API and `relay top` read exactly this):
  {"cli": "claude"|"codex"|"gemini", "pid": int, "cwd": str|None, "session_id": str|None,
   "session_path": str|None, "connection": ["ssh", "tmux"] or ["native"], "started_at": float,
   "terminal": dict|None}   # what the client registered via POST /api/v1/session-terminal
"""
import ipaddress
import os

try:
    import psutil  # optional: compiled, so a zipapp on another Python may run without it
except ImportError:
    psutil = None

from relay import clients
from relay.sessions import live_files

CLIS = clients.NAMES
# Package paths seen in the cmdline of the node launchers of each CLI.
_PACKAGE_MARKS = {c.NAME: (c.PACKAGE,) for c in clients.all_clients()}
_INTERPRETERS = ("node", "bun", "deno", "python", "python3")
# Tailscale hands out addresses from the CGNAT range and, for IPv6, from its own ULA prefix.
_TAILNETS = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("fd7a:115c:a1e0::/48"))
_GONE = (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError) if psutil else (OSError,)


def _stem(path):
    base = os.path.basename(path.replace("\\", "/")).lower()
    for ext in (".exe", ".cmd", ".js", ".mjs"):
        if base.endswith(ext):
            return base[:-len(ext)]
    return base


def _safe(fn, default):
    try:
        return fn()
    except _GONE:
        return default


def cli_of(name, cmdline):
    """Which CLI a process is, from its name and argv; None for anything else."""
    stem = _stem(name or "")
    if stem in CLIS:
        return stem
    args = list(cmdline or [])
    if args and (_stem(args[0]) in CLIS):
        return _stem(args[0])
    if args and _stem(args[0]).rstrip("0123456789.") in _INTERPRETERS:
        script = next((a for a in args[1:] if not a.startswith("-")), "")
        if _stem(script) in CLIS:
            return _stem(script)
        for cli, marks in _PACKAGE_MARKS.items():
            if any(m in script.replace("\\", "/") for m in marks):
                return cli
    return None


def _client_ip(env):
    value = env.get("SSH_CONNECTION") or env.get("SSH_CLIENT") or ""
    return value.split(" ")[0] if value else None


def connection_of(env, ancestor_names):
    """Transport first (mosh, tailscale or ssh), then multiplexers; ["native"] when none."""
    names = {_stem(n) for n in ancestor_names}
    out = []
    ip = _client_ip(env)
    over_tailnet = False
    if ip:
        try:
            address = ipaddress.ip_address(ip.split("%")[0])
            over_tailnet = any(address.version == net.version and address in net for net in _TAILNETS)
        except ValueError:
            over_tailnet = False
    if "mosh-server" in names:
        out.append("mosh")
    elif over_tailnet:
        out.append("tailscale")
    elif ip or names & {"sshd", "sshd-session"}:
        out.append("ssh")
    if env.get("TMUX") or names & {"tmux", "tmux: server"}:
        out.append("tmux")
    if env.get("STY") or "screen" in names:
        out.append("screen")
    return out or ["native"]


def _ancestor_names(proc):
    return [n for n in (_safe(p.name, "") for p in _safe(proc.parents, [])) if n]


def _describe(proc, cli, environ):
    started = _safe(proc.create_time, 0.0)
    cwd = _safe(proc.cwd, None) or None
    open_paths = [f.path for f in _safe(proc.open_files, [])]
    session_id, session_path = live_files.session_for(cli, cwd, started, open_paths, environ)
    return {"cli": cli, "pid": proc.pid, "cwd": cwd, "session_id": session_id, "session_path": session_path,
            "connection": connection_of(_safe(proc.environ, {}), _ancestor_names(proc)),
            "started_at": started, "terminal": None}


def _matches(processes):
    own = os.getpid()
    found = {}
    for proc in processes:
        if proc.pid == own:
            continue
        cli = cli_of(_safe(proc.name, ""), _safe(proc.cmdline, []))
        if cli:
            found[proc.pid] = (proc, cli)
    return found


def alive_sessions(settings=None, processes=None, terminals=None, environ=None):
    """One entry per running CLI process (see the module docstring), oldest first.

    `processes` defaults to every process on the machine; `terminals` is the registry the API
    fills (relay.web.api.live.TerminalRegistry) and is merged in by pid or session id.
    A launcher whose child is the same CLI (codex's node wrapper) is reported once, as the child.
    Without psutil (relay.runtime.liveness_mode says so) no process can be listed: none is.
    """
    if processes is None and psutil is None:
        return []
    found = _matches(psutil.process_iter() if processes is None else processes)
    launchers = set()
    for proc, cli in found.values():
        parent = _safe(proc.ppid, None)
        if parent in found and found[parent][1] == cli:
            launchers.add(parent)
    rows = [_describe(proc, cli, environ) for pid, (proc, cli) in found.items() if pid not in launchers]
    if terminals is not None:
        for row in rows:
            row["terminal"] = terminals.lookup(row["pid"], row["session_id"])
    return sorted(rows, key=lambda r: (r["started_at"], r["pid"]))
