"""Who may use a relay started with access tokens (`--auth-tokens FILE`).

Proxy mounts: the CLI sends its person's token in X-Relay-Token; the dispatcher checks it, takes
the header out of what goes upstream and names the person on the exchange (`relay.person`).
Pages, API, SSE and /metrics: a browser signs in once on /login with its token and gets a session
cookie whose value is a random id kept in this process's memory only (never the token, never on
disk: a restart signs everyone out). Scripts and Prometheus may send the token itself, in
X-Relay-Token or as `Authorization: Bearer`. Without auth (loopback, no tokens file) nothing here
runs except taking X-Relay-Token out of proxied requests.
"""
import secrets
import threading
import time
from urllib.parse import quote

from flask import Blueprint, current_app, has_request_context, jsonify, redirect, render_template, request, url_for

from relay.web.errors import error_response
from relay.web.tokens import ENVIRON_KEY, HEADER, Tokens

COOKIE = "relay_session"
SESSION_TTL = 12 * 3600   # seconds a sign-in lasts; the cookie itself ends with the browser session
OPEN_PATHS = ("/login", "/static/")
HEALTH = "/api/v1/health"   # a probe (doctor, init, load balancers) learns only that relay answers
# Each provider's own way of saying "bad credentials", so the CLI shows a readable error.
_PROXY_ERROR = {"anthropic": {"kind": "authentication_error"}, "openai": {"kind": "invalid_request_error"},
                "gemini": {"status": "UNAUTHENTICATED", "code": 401}}

bp = Blueprint("auth", __name__)


class Auth:
    def __init__(self, tokens: Tokens, ttl=SESSION_TTL):
        self.tokens = tokens
        self.ttl = ttl
        self._sessions: dict[str, tuple[str, float]] = {}   # id -> (person, expiry on the monotonic clock)
        self._lock = threading.Lock()

    def sign_in(self, token):
        """A new session id for the token's person, or None for a wrong token."""
        person = self.tokens.person_for(token)
        if person is None:
            return None
        sid = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if v[1] > now}
            self._sessions[sid] = (person, now + self.ttl)
        return sid

    def sign_out(self, sid):
        with self._lock:
            self._sessions.pop(sid or "", None)

    def session_person(self, sid):
        entry = self._sessions.get(sid or "")
        if entry is None or entry[1] <= time.monotonic():
            return None
        # A revoked token ends its person's sessions too.
        return entry[0] if entry[0] in self.tokens.people else None

    def request_person(self, req):
        """The person a Flask request is signed in as (cookie, X-Relay-Token or Bearer), or None."""
        person = self.session_person(req.cookies.get(COOKIE))
        if person is not None:
            return person
        token = req.headers.get(HEADER)
        if token is None:
            scheme, _, value = (req.headers.get("Authorization") or "").partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else None
        return self.tokens.person_for(token)


def proxy_token(environ):
    """Take relay's header out of a proxied request (upstream must never see it); its value."""
    return environ.pop(ENVIRON_KEY, None)


def proxy_refusal_body(provider, token):
    message = (f"this relay needs an access token: send it in the {HEADER} header" if not token
               else "the access token is not valid (revoked or mistyped)")
    return provider.error_body(message, **_PROXY_ERROR.get(provider.PROVIDER, {}))


def _auth():
    return current_app.extensions["relay.auth"]


def _safe_next(target):
    # Only a path on relay itself: "//host" or "http://..." would send the browser elsewhere.
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def guard_request():
    """before_request: refuse what is not signed in (API, SSE, /metrics: 401 JSON; pages: the
    login page). Runs after the Host and Origin checks."""
    path = request.path
    if path.startswith(OPEN_PATHS):
        return None
    auth = _auth()
    person = auth.request_person(request)
    if person is not None:
        request.environ["relay.person"] = person
        return None
    if path == HEALTH:
        return jsonify({"ok": True, "auth_required": True})
    if path.startswith("/api/") or path == "/metrics":
        response = error_response(401, f"sign in first: send a token in {HEADER} (or Authorization: Bearer)")
        response.headers["WWW-Authenticate"] = 'Bearer realm="relay"'
        return response
    full = request.full_path.rstrip("?") if request.query_string else path
    return redirect(url_for("auth.login") + "?next=" + quote(full, safe="/"), code=303)


@bp.get("/login")
def login():
    return render_template("login.html", next=_safe_next(request.args.get("next")), failed=False)


@bp.post("/login")
def login_post():
    target = _safe_next(request.form.get("next"))
    sid = _auth().sign_in(request.form.get("token", "").strip())
    if sid is None:
        return render_template("login.html", next=target, failed=True), 401
    response = redirect(target, code=303)
    response.set_cookie(COOKIE, sid, httponly=True, samesite="Strict", secure=request.is_secure, path="/")
    return response


@bp.post("/logout")
def logout():
    _auth().sign_out(request.cookies.get(COOKIE))
    response = redirect(url_for("auth.login"), code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict")
    return response


def init_app(app, auth):
    """Turn sign-in on for `app`: the login routes, the check before every request, and the
    person's name for the page header."""
    app.extensions["relay.auth"] = auth
    app.register_blueprint(bp)
    app.before_request(guard_request)

    @app.context_processor
    def signed_in():
        return {"signed_in_as": request.environ.get("relay.person") if has_request_context() else None}
