"""The JSON API under /api/v1, one blueprint per domain (blueprint `api_<module>`):

  exchanges.py   /health, /requests, /sessions, /prune, /i18n
  costs.py       /cost, /quota, /cache, /ttl, /errors, /team
  guard.py       /guard, /turns, /statusline
  history.py     /history/...
  live.py        /dashboard, /display (the pages' JSON twins), /sessions/alive, /session-terminal
  orch.py        /cli/status, /delegations
Success is `{"ok": true, ...}`; every error is `{"ok": false, "error", "status"}` (relay.web.app).
"""
import json

from flask import current_app, jsonify, request

from relay.errors import RelayError

PREFIX = "/api/v1"
MAX_BODY = 64 * 1024   # the API takes small JSON bodies only (terminal metadata: a few hundred bytes)


def context():
    """This app's relay.present.context.Context."""
    return current_app.extensions["relay"]


def read(fn):
    """fn(conn) on a pooled read connection of this app's store."""
    return context().store.read(fn)


def ok(**payload):
    return jsonify({"ok": True, **payload})


def int_arg(name, default, lo, hi):
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RelayError(f"{name} must be a whole number, got {raw!r}", status=400) from None
    if not lo <= value <= hi:
        raise RelayError(f"{name} must be between {lo} and {hi}, got {value}", status=400)
    return value


def json_body():
    """The request's JSON, or a 400: too large, not JSON, or nested deeper than the parser
    recurses (RecursionError is not a ValueError, so get_json(silent=True) lets it through)."""
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY:
        raise RelayError(f"the body is {len(raw)} bytes; at most {MAX_BODY} are accepted", status=413)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise RelayError("the body must be JSON (Content-Type: application/json)", status=400) from None
