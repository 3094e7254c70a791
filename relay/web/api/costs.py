"""/api/v1 over money and limits: cost, quota, cache hit rate, cache TTL tiers, error rates."""
from flask import Blueprint, request

from relay.costs import cost as costs
from relay.costs import quota as quota_service
from relay.costs import rates
from relay.errors import RelayError
from relay.present import costs as view
from relay.present import team as team_view
from relay.web.api import PREFIX, context, ok, read
from relay.web.offload import off_loop, offloaded

bp = Blueprint("api_costs", __name__, url_prefix=PREFIX)


@bp.get("/cost")
def cost():
    """Cost since ?since= (7d, 24h, a date, today; default 7d) grouped ?by= model, provider, session,
    project or day."""
    context_store, since, by = context().store, request.args.get("since") or "7d", request.args.get("by") or "model"
    # workers=1: the index update runs in this process (no process pool inside the server), on a
    # thread of its own: it reads session files, which must never stall the proxy
    result = off_loop(lambda: costs.query(context_store, since=since, by=by, workers=1),
                      what="updating the session index")
    return ok(cost=view.cost_report(result))


@bp.get("/quota")
@offloaded("the quota")
def quota():
    return ok(quota=view.quota(read(quota_service.report)))


@bp.get("/cache")
def cache_metrics():
    return ok(cache=view.cache_metrics(read(rates.cache)))


@bp.get("/ttl")
def ttl_metrics():
    return ok(ttl=view.ttl_metrics(read(rates.ttl)))


@bp.get("/errors")
def error_metrics():
    return ok(errors=view.error_metrics(read(rates.errors)))


@bp.get("/team")
def team():
    """The dashboard's team section as JSON: spend per person, CLI and model and the quota walls
    over ?since= (default 7d), for everyone or one ?user= (`user` or `user@machine`)."""
    section = team_view.section(context(), request.args.get("since"), request.args.get("user"))
    if not section["available"]:
        raise RelayError("the team view could not be read (see relay's log)", status=503)
    return ok(team={k: v for k, v in section.items() if k != "available"})
