"""/api/v1 over live sessions: the dashboard's and /display/'s JSON twins, GET /api/v1/sessions/alive
(the running CLIs
from relay.sessions.alive) and POST /api/v1/session-terminal lets a client (a shell hook, a status
line script, a terminal plugin) tell relay what terminal a session runs in.

Terminal metadata is kept in memory only: it describes processes that are running now, and a
relay restart forgets it along with them. Only the fields below are accepted, each a short string
(or a bool for ssh), so nothing else a client sends (an env dump with a token in it) is stored.
A POST from a page on another origin is refused by the app's Origin check (relay.web.app).
"""
import threading
import time
from collections import OrderedDict

from flask import Blueprint, current_app, has_app_context

from relay.errors import RelayError
from relay.present import charts, live
from relay.present import dashboard as dashboard_view
from relay.sessions.alive import alive_sessions
from relay.web.api import PREFIX, context, json_body, ok
from relay.web.offload import offloaded

bp = Blueprint("api_live", __name__, url_prefix=PREFIX)
FIELDS = ("term_program", "term_program_version", "term", "tty", "tmux_pane", "tmux_session", "screen_session",
          "ssh_client", "title", "cwd", "cli")
MAX_LEN = 512
MAX_ENTRIES = 1000


class TerminalRegistry:
    """Terminal metadata by pid and by session id, newest registrations kept up to MAX_ENTRIES."""

    def __init__(self, max_entries=MAX_ENTRIES):
        self.lock = threading.Lock()
        self.entries = OrderedDict()
        self.max_entries = max_entries

    def register(self, pid, session_id, metadata):
        entry = {**metadata, "pid": pid, "session_id": session_id, "registered_at": time.time()}
        with self.lock:
            for key in (("pid", pid), ("session", session_id)):
                if key[1] is not None:
                    self.entries.pop(key, None)
                    self.entries[key] = entry
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)
        return entry

    def lookup(self, pid, session_id):
        with self.lock:
            found = self.entries.get(("pid", pid)) or (self.entries.get(("session", session_id))
                                                       if session_id else None)
        return dict(found) if found else None


def registry(app=None):
    app = app or current_app
    return app.extensions.setdefault("relay_terminals", TerminalRegistry())


def alive(app=None, processes=None):
    """alive_sessions with the registered terminal metadata merged in: what pages and the API show.
    Outside a running app (`relay top` reading the database) nobody can have registered a
    terminal, so the entries come without one."""
    if app is None and not has_app_context():
        return alive_sessions(None, processes=processes)
    app = app or current_app
    return alive_sessions(app.extensions["relay"].settings, processes=processes, terminals=registry(app))


def _validated(body):
    if not isinstance(body, dict):
        raise RelayError("send a JSON object, e.g. {\"pid\": 123, \"term_program\": \"iTerm.app\"}", status=400)
    pid, session_id = body.get("pid"), body.get("session_id")
    if pid is not None and (isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0):
        raise RelayError(f"pid must be a positive whole number, got {pid!r}", status=400)
    if session_id is not None and (not isinstance(session_id, str) or not 0 < len(session_id) <= 200):
        raise RelayError("session_id must be a non-empty string of at most 200 characters", status=400)
    if pid is None and session_id is None:
        raise RelayError("give pid or session_id to say which session this terminal belongs to", status=400)
    unknown = sorted(set(body) - set(FIELDS) - {"pid", "session_id", "ssh"})
    if unknown:
        raise RelayError(f"unknown field(s): {', '.join(unknown)}; known: pid, session_id, ssh, {', '.join(FIELDS)}",
                         status=400)
    metadata = {}
    for name in FIELDS:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > MAX_LEN:
            raise RelayError(f"{name} must be a string of at most {MAX_LEN} characters", status=400)
        metadata[name] = value
    if body.get("ssh") is not None:
        if not isinstance(body["ssh"], bool):
            raise RelayError(f"ssh must be true or false, got {body['ssh']!r}", status=400)
        metadata["ssh"] = body["ssh"]
    return pid, session_id, metadata


@bp.post("/session-terminal")
def session_terminal():
    body = json_body()
    pid, session_id, metadata = _validated(body)
    return ok(terminal=registry().register(pid, session_id, metadata))


@bp.get("/sessions/alive")
def sessions_alive():
    return ok(sessions=alive())


@bp.get("/dashboard")
def dashboard():
    return ok(dashboard=dashboard_view.dashboard(context()))


@bp.get("/charts")
@offloaded("the charts")
def charts_():
    """The dashboard charts' series, the same data the SVG marks are drawn from."""
    return ok(charts=charts.dashboard_charts(context()))


@bp.get("/display")
@offloaded("the live sessions")
def display():
    return ok(display=live.display(context()))
