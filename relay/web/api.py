"""JSON API under /api/v1: `{"ok": true, ...}` on success, `{"ok": false, "error", "status"}` on error."""
from flask import Blueprint, current_app, jsonify, request

from relay.errors import RelayError
from relay.proxy.mounts import ROUTES
from relay.store import history_queries, queries
from relay.web import i18n, presenters, views

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PROVIDERS = tuple(route.provider.PROVIDER for route in ROUTES)


def _read(fn):
    """fn(conn) on a pooled read connection of this app's store."""
    return current_app.extensions["relay"].store.read(fn)


def ok(**payload):
    return jsonify({"ok": True, **payload})


def _int_arg(name, default, lo, hi):
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


@bp.get("/health")
def health():
    ctx = current_app.extensions["relay"]
    counts = ctx.store.read(queries.counts)
    return ok(**presenters.health(ctx, counts))


@bp.get("/requests")
def requests_():
    limit = _int_arg("limit", 50, 1, 1000)
    session_id = request.args.get("session_id") or None
    provider = request.args.get("provider") or None
    if provider is not None and provider not in PROVIDERS:
        raise RelayError(f"provider must be one of {', '.join(PROVIDERS)}, got {provider!r}", status=400)
    rows = _read(lambda c: queries.list_exchanges(c, limit=limit, session_id=session_id, provider=provider))
    return ok(requests=[presenters.exchange(r) for r in rows])


@bp.get("/requests/<exchange_id>")
def request_one(exchange_id):
    row = _read(lambda c: queries.get_exchange(c, exchange_id))
    if row is None:
        raise RelayError(f"no request with id {exchange_id!r}", status=404)
    return ok(request=presenters.exchange(row))


@bp.get("/sessions")
def sessions():
    limit = _int_arg("limit", 100, 1, 10000)
    return ok(sessions=_read(lambda c: queries.list_sessions(c, limit=limit)))


@bp.get("/cost")
def cost():
    """Cost since ?since= (7d, 24h, a date; default 7d) grouped ?by= model, provider, session, project or day."""
    from relay.costs import cost as costs
    from relay.costs import prices
    from relay.diagnostics.scan import parse_since

    by = request.args.get("by") or "model"
    if by not in costs.GROUPINGS:
        raise RelayError(f"by must be one of {', '.join(costs.GROUPINGS)}, got {by!r}", status=400)
    since = parse_since(request.args.get("since") or "7d").timestamp()
    # workers=1: the index update runs in this process; no process pool inside the server
    result = costs.report(current_app.extensions["relay"].store, prices.load(), since=since, by=by, workers=1)
    return ok(cost=presenters.cost_report(result))


@bp.get("/prune")
def prune_report():
    session_id = request.args.get("session_id") or None
    rows = _read(lambda c: queries.prune_report(c, session_id=session_id))
    return ok(prune=presenters.prune_report(rows))


def _history_read(session_id, fn):
    """fn(conn, session_id), or the API's 404 when relay captured nothing for that session."""
    if not _read(lambda c: history_queries.has_session(c, session_id)):
        raise RelayError(f"no captured history for session {session_id!r}", status=404)
    return _read(lambda c: fn(c, session_id))


@bp.get("/history")
def history_sessions():
    limit = _int_arg("limit", 100, 1, 10000)
    return ok(sessions=_read(lambda c: history_queries.list_history_sessions(c, limit=limit)))


@bp.get("/history/<session_id>")
def history_turns(session_id):
    rows = _history_read(session_id, history_queries.list_turns)
    return ok(session_id=session_id, turns=[presenters.history_turn(r) for r in rows])


@bp.get("/history/<session_id>/composition")
def history_composition(session_id):
    rows = _history_read(session_id, history_queries.list_compositions)
    return ok(session_id=session_id, turns=rows)


@bp.get("/history/<session_id>/compactions")
def history_compactions(session_id):
    rows = _history_read(session_id, history_queries.list_compactions)
    return ok(session_id=session_id, compactions=rows)


# Quota and metrics: relay.costs is imported on first use, so health and proxy paths do not load it.
@bp.get("/quota")
def quota():
    from relay.costs import quota as quota_service
    return ok(quota=presenters.quota(_read(quota_service.report)))


@bp.get("/cache")
def cache_metrics():
    from relay.costs import metrics
    return ok(cache=presenters.cache_metrics(_read(metrics.cache)))


@bp.get("/ttl")
def ttl_metrics():
    from relay.costs import metrics
    return ok(ttl=presenters.ttl_metrics(_read(metrics.ttl)))


@bp.get("/errors")
def error_metrics():
    from relay.costs import metrics
    return ok(errors=presenters.error_metrics(_read(metrics.errors)))


@bp.get("/guard")
def guard_state():
    """The live guard: tier per zone and per session, and recent alerts (?after=ID: newer only)."""
    after = _int_arg("after", None, 0, 2**62)
    return ok(guard=presenters.guard(current_app.extensions["relay"].guard.snapshot(after), source="live"))


@bp.get("/turns")
def turns_recent():
    """The latest model responses across sessions: tokens, cost, context fill and its zone."""
    from relay.costs import prices, turns

    limit = _int_arg("limit", 50, 1, 1000)
    rows = _read(lambda c: queries.recent_usage(c, limit=limit))
    return ok(turns=presenters.turns(turns.from_exchanges(rows, prices.load(), current_app.extensions["relay"].guard.thresholds)))


@bp.get("/turns/<session_id>")
def turns_session(session_id):
    """One session's turns, newest first: from the proxy's rows, else from the session index."""
    from relay.costs import turns

    limit = _int_arg("limit", 1000, 1, 100000)
    ctx = current_app.extensions["relay"]
    found = turns.for_session(ctx.store, session_id, limit, ctx.guard.thresholds)
    if not found:
        raise RelayError(f"no turns recorded for session {session_id!r}", status=404)
    return ok(session_id=session_id, **presenters.session_turns(found))
# JSON twins of the live pages: the same views the pages render.
@bp.get("/dashboard")
def dashboard():
    return ok(dashboard=views.dashboard(current_app.extensions["relay"]))


@bp.get("/display")
def display():
    return ok(display=views.display(current_app.extensions["relay"]))


@bp.get("/history/<session_id>/replay")
def history_replay(session_id):
    replay = views.history_session(current_app.extensions["relay"], session_id)
    if replay is None:
        raise RelayError(f"no captured history for session {session_id!r}", status=404)
    return ok(replay=replay)


@bp.get("/history/<session_id>/turns/<int:turn>")
def history_turn_replay(session_id, turn):
    replay = views.history_turn(current_app.extensions["relay"], session_id, turn)
    if replay is None:
        raise RelayError(f"no captured turn {turn} in session {session_id!r}", status=404)
    return ok(turn=replay)


@bp.get("/i18n")
def i18n_messages():
    """The page strings for ?lang= (en, ko), else RELAY_LANG / Accept-Language."""
    lang = request.args.get("lang")
    if lang is not None and lang not in i18n.LANGUAGES:
        raise RelayError(f"lang must be one of {', '.join(i18n.LANGUAGES)}, got {lang!r}", status=400)
    if lang is None:
        lang = i18n.choose(current_app.extensions["relay"].settings.lang, request.headers.get("Accept-Language"))
    return ok(lang=lang, languages=list(i18n.LANGUAGES), messages=i18n.messages(lang))
