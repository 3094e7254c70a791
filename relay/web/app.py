"""create_app(settings, store, bus, upstream): the Flask app for API and pages, with the proxy
dispatched in front of it.

Provider paths (the mounts of relay.proxy.mounts: /v1/..., /openai/..., /gemini/..., /backend-api/...,
/v1internal:...) go straight
to the proxy's WSGI handlers, before Flask: no routing, sessions or default headers touch proxied
traffic. Everything else is Flask, guarded by a Host header check so that a web page on another
origin (DNS rebinding) cannot read relay's API, an Origin check on state-changing methods (a page
elsewhere cannot POST to relay), and a Content-Security-Policy without inline script on every
response.
"""
import time

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from relay import guard, paths
from relay.errors import RelayError
from relay.guard.hooks import Hooks
from relay.present.context import Context
from relay.proxy.handler import ProxyHandler
from relay.proxy.mounts import ROUTES
from relay.proxy.pipeline import Pipeline
from relay.proxy.stages import default_stages
from relay.proxy.upstream import Upstream
from relay.store import queries
from relay.web import auth as web_auth
from relay.web import otlp, pages, prometheus, stream
from relay.web.api import costs as api_costs
from relay.web.api import exchanges as api_exchanges
from relay.web.api import guard as api_guard
from relay.web.api import history as api_history
from relay.web.api import live as api_live
from relay.web.api import orch as api_orch
from relay.web.errors import error_response
from relay.web.tokens import Tokens

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
# Scripts and styles only from relay itself: text from sessions that slipped past escaping still
# cannot run. SVG presentation attributes (fill) are not styles, so the pie charts need no exception.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BLUEPRINTS = (pages.bp, prometheus.bp, api_exchanges.bp, api_costs.bp, api_guard.bp, api_history.bp, api_live.bp,
              api_orch.bp)


class Dispatcher:
    """Sends each mount's paths to its proxy handler and the rest to Flask. `refuse(environ)`
    says why a request may not use a mount (None: it may); `person(token)` (with access tokens
    on) names whose X-Relay-Token it is, None for a wrong one."""

    def __init__(self, handlers, flask_wsgi, refuse=lambda environ: None, person=None):
        self.handlers = handlers          # [(Route, ProxyHandler)], in ROUTES order
        self.flask_wsgi = flask_wsgi
        self.refuse = refuse
        self.person = person

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        for route, handler in self.handlers:
            if route.matches(path):
                reason = self.refuse(environ)
                if reason is not None:
                    body = route.provider.error_body(reason)
                    start_response("403 Forbidden", [("Content-Type", "application/json"),
                                                      ("Content-Length", str(len(body)))])
                    return [body]
                token = web_auth.proxy_token(environ)
                if self.person is not None:
                    environ["relay.person"] = self.person(token)
                    if environ["relay.person"] is None:
                        body = web_auth.proxy_refusal_body(route.provider, token)
                        start_response("401 Unauthorized", [("Content-Type", "application/json"),
                                                             ("Content-Length", str(len(body)))])
                        return [body]
                return handler(environ, start_response)
        return self.flask_wsgi(environ, start_response)

    @property
    def in_flight(self):
        """Exchanges not yet finished on any mount; shutdown waits for 0."""
        return sum(handler.in_flight for _, handler in self.handlers)

    @property
    def open_ids(self):
        """Ids of the exchanges open on any mount: a stopping relay marks only these interrupted."""
        return set().union(*(handler.open_ids for _, handler in self.handlers))


def host_allowed(host, allowed_extra, bound_host):
    name = (host or "").strip().lower()
    if name.startswith("["):
        name = name[:name.find("]") + 1]
    else:
        name = name.split(":")[0]
    allowed = set(LOCAL_HOSTS) | {h.lower() for h in allowed_extra}
    if bound_host not in ("0.0.0.0", "::", ""):
        allowed.add(bound_host.lower())
    return name in allowed


def _port(authority, scheme):
    """The port of a Host header or an origin's authority, the scheme's default when absent."""
    tail = authority.rsplit("]", 1)[-1]
    if ":" in tail:
        return tail.rsplit(":", 1)[1]
    return "443" if scheme == "https" else "80"


def origin_allowed(origin, allowed_extra, bound_host, scheme="http", own_host=None):
    """No Origin (curl, the CLI) is fine; a browser's Origin must be relay's own: the scheme relay
    is reached by, an allowed host, and the port of the Host header (another local server's page
    is another origin)."""
    if not origin:
        return True
    if origin == "null" or "://" not in origin:
        return False
    origin_scheme, authority = origin.split("://", 1)
    authority = authority.split("/")[0]
    if own_host is not None and (origin_scheme.lower() != scheme
                                 or _port(authority, origin_scheme.lower()) != _port(own_host, scheme)):
        return False
    return host_allowed(authority, allowed_extra, bound_host)


def proxy_refusal(environ, allowed_extra, bound_host):
    """Why a request may not use a proxy mount, or None. Only what a CLI sends passes: a loopback
    or allowed Host (a rebound name is a web page), and no browser context (no CLI sends an
    Origin or Sec-Fetch-Site; a page's fetch always does, so it cannot record fake exchanges)."""
    if not host_allowed(environ.get("HTTP_HOST"), allowed_extra, bound_host):
        return f"host {environ.get('HTTP_HOST')!r} is not allowed on the proxy; add it to allowed_hosts"
    if environ.get("HTTP_ORIGIN") is not None or environ.get("HTTP_SEC_FETCH_SITE", "none") != "none":
        return "requests from a web page are not proxied"
    return None


def _error(status, message):
    return error_response(status, message)


def _upstreams(settings, upstream):
    """{upstream setting name: Upstream}: `upstream` may be that dict, or one Upstream for
    Anthropic (the others are then built from their settings)."""
    if isinstance(upstream, dict):
        return upstream
    built = {route.setting: Upstream(settings[route.setting], settings.connect_timeout, settings.read_timeout)
             for route in ROUTES if route.setting != "upstream_anthropic"}
    return {"upstream_anthropic": upstream, **built}


def _guard(settings, store, bus):
    """The live guard with its hooks, primed from the last hours of stored exchanges so that a
    restart does not announce again the tiers the user was already told about."""
    live = guard.Guard(guard.thresholds_from(settings), bus,
                       Hooks(settings.get("guard_on_alert"), settings.get("guard_notify", False),
                                         settings.get("guard_hook_timeout", 10.0)) or None)
    return live.prime(store.read(lambda c: queries.list_finished(c, since=time.time() - guard.PRIME_S)))


def create_app(settings, store, bus, upstream, pipeline=None, journal=None, tokens=None):
    """tokens: a relay.web.tokens.Tokens to require sign-in (built from settings.auth_tokens when
    that is set)."""
    app = Flask("relay", template_folder=str(paths.resource_dir("templates")),
                static_folder=str(paths.resource_dir("static")))
    pipeline = pipeline or Pipeline(default_stages(settings.prune, settings.prune_dry_run, settings.prune_force,
                                                   history=settings.history, submit=store.submit_optional,
                                                   full_every=settings.history_full_every))
    upstreams = _upstreams(settings, upstream)
    ctx = Context(settings, store, bus, upstreams, pipeline, time.time())
    app.extensions["relay"] = ctx

    @app.before_request
    def check_host():
        if not host_allowed(request.host, settings.allowed_hosts, settings.host):
            return _error(403, f"host {request.host!r} is not allowed; add it to allowed_hosts (RELAY_ALLOWED_HOSTS)")
        if request.method in UNSAFE_METHODS and not origin_allowed(request.headers.get("Origin"),
                                                                   settings.allowed_hosts, settings.host,
                                                                   request.scheme, request.host):
            return _error(403, f"origin {request.headers.get('Origin')!r} may not send {request.method} to relay")
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.errorhandler(RelayError)
    def relay_error(exc):
        return _error(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return _error(exc.code, exc.description)

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error on %s", request.path)
        return _error(500, "internal error; see relay's log")

    if tokens is None and settings.get("auth_tokens"):
        tokens = Tokens(settings.auth_tokens)
    if tokens is not None:
        web_auth.init_app(app, web_auth.Auth(tokens))
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    stream.init_app(app)

    # History capture reads every mount's model calls; pruning (and any other stage) Anthropic's only.
    bare = Pipeline([stage for stage in pipeline.stages if getattr(stage, "captures", False)])
    ctx.guard = _guard(settings, store, bus)
    handlers = [(route, ProxyHandler(route.provider, upstreams[route.setting], store, bus,
                                     pipeline if route.stages else bare, route=route, guard=ctx.guard,
                                     side_limit=settings.side_decode_limit_mb * 1024 * 1024, journal=journal))
                for route in ROUTES]
    if settings.get("otlp_endpoint"):
        ctx.telemetry = otlp.start(settings["otlp_endpoint"], bus)
    ctx.proxy = Dispatcher(handlers, app.wsgi_app,
                           refuse=lambda environ: proxy_refusal(environ, settings.allowed_hosts, settings.host),
                           person=tokens.person_for if tokens is not None else None)
    app.wsgi_app = ctx.proxy
    return app
