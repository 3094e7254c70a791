"""/api/v1 over recorded requests: health, requests, sessions, pruning, and the page strings."""
from flask import Blueprint, request

from relay.errors import RelayError
from relay.present import exchanges
from relay.proxy.mounts import ROUTES
from relay.store import queries
from relay.web import i18n
from relay.web.api import PREFIX, context, int_arg, ok, read

bp = Blueprint("api_exchanges", __name__, url_prefix=PREFIX)
PROVIDERS = tuple(route.provider.PROVIDER for route in ROUTES)


@bp.get("/health")
def health():
    return ok(**exchanges.health(context(), read(queries.counts)))


@bp.get("/requests")
def requests_():
    limit = int_arg("limit", 50, 1, 1000)
    session_id = request.args.get("session_id") or None
    provider = request.args.get("provider") or None
    if provider is not None and provider not in PROVIDERS:
        raise RelayError(f"provider must be one of {', '.join(PROVIDERS)}, got {provider!r}", status=400)
    rows = read(lambda c: queries.list_exchanges(c, limit=limit, session_id=session_id, provider=provider))
    return ok(requests=[exchanges.exchange(r) for r in rows])


@bp.get("/requests/<exchange_id>")
def request_one(exchange_id):
    row = read(lambda c: queries.get_exchange(c, exchange_id))
    if row is None:
        raise RelayError(f"no request with id {exchange_id!r}", status=404)
    return ok(request=exchanges.exchange(row))


@bp.get("/sessions")
def sessions():
    limit = int_arg("limit", 100, 1, 10000)
    return ok(sessions=read(lambda c: queries.list_sessions(c, limit=limit)))


@bp.get("/prune")
def prune_report():
    session_id = request.args.get("session_id") or None
    return ok(prune=exchanges.read_prune_report(read, session_id))


@bp.get("/i18n")
def i18n_messages():
    """The page strings for ?lang= (en, ko), else RELAY_LANG / Accept-Language."""
    lang = request.args.get("lang")
    if lang is not None and lang not in i18n.LANGUAGES:
        raise RelayError(f"lang must be one of {', '.join(i18n.LANGUAGES)}, got {lang!r}", status=400)
    if lang is None:
        lang = i18n.choose(context().settings.lang, request.headers.get("Accept-Language"))
    return ok(lang=lang, languages=list(i18n.LANGUAGES), messages=i18n.messages(lang))
