"""/api/v1 endpoints over orchestration: installed CLIs and the delegation history."""
from flask import Blueprint, request

from relay.store import delegation_queries
from relay.web import presenters
from relay.web.api import _int_arg, _read, ok

bp = Blueprint("orch_api", __name__, url_prefix="/api/v1")


@bp.get("/cli/status")
def cli_status():
    from relay.orch import discover
    return ok(**presenters.cli_status(discover.discover()))


@bp.get("/delegations")
def delegations():
    limit = _int_arg("limit", 50, 1, 1000)
    cli, status = request.args.get("cli") or None, request.args.get("status") or None
    rows = _read(lambda c: delegation_queries.list_delegations(c, limit=limit, cli=cli, status=status))
    return ok(delegations=[presenters.delegation(r) for r in rows])


@bp.get("/delegations/stats")
def delegation_stats():
    return ok(stats=presenters.delegation_stats(_read(delegation_queries.stats)))
