"""create_app(settings, store, bus, upstream): the Flask app for API and pages, with the proxy
dispatched in front of it.

Provider paths (/v1/...) go straight to the proxy's WSGI handler, before Flask: no routing,
sessions or default headers touch proxied traffic. Everything else is Flask, guarded by a Host
header check so that a web page on another origin (DNS rebinding) cannot read relay's API.
"""
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from relay import paths
from relay.errors import RelayError
from relay.proxy.handler import ProxyHandler
from relay.proxy.pipeline import Pipeline, default_stages
from relay.proxy.providers import anthropic

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


@dataclass
class Context:
    settings: Any
    store: Any
    bus: Any
    upstream: Any
    pipeline: Any
    started_at: float
    proxy: Any = None
    started_mono: float = field(default_factory=time.monotonic)   # for durations (uptime)


class Dispatcher:
    """Sends provider paths to the proxy and the rest to Flask."""

    def __init__(self, proxy, flask_wsgi):
        self.proxy = proxy
        self.flask_wsgi = flask_wsgi

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/v1/") or path == "/v1":
            return self.proxy(environ, start_response)
        return self.flask_wsgi(environ, start_response)


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


def _error(status, message):
    response = jsonify({"ok": False, "error": message, "status": status})
    response.status_code = status
    return response


def create_app(settings, store, bus, upstream, pipeline=None):
    app = Flask("relay", template_folder=str(paths.resource_dir("templates")),
                static_folder=str(paths.resource_dir("static")))
    pipeline = pipeline or Pipeline(default_stages(settings.prune, settings.prune_dry_run, settings.prune_force,
                                                   history=settings.history, submit=store.submit,
                                                   full_every=settings.history_full_every))
    ctx = Context(settings, store, bus, upstream, pipeline, time.time())
    app.extensions["relay"] = ctx

    @app.before_request
    def check_host():
        if not host_allowed(request.host, settings.allowed_hosts, settings.host):
            return _error(403, f"host {request.host!r} is not allowed; add it to allowed_hosts (RELAY_ALLOWED_HOSTS)")
        return None

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

    from relay.web import api, pages
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)

    proxy = ProxyHandler(anthropic, upstream, store, bus, pipeline)
    ctx.proxy = proxy
    app.wsgi_app = Dispatcher(proxy, app.wsgi_app)
    return app
