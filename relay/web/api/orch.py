"""/api/v1 over orchestration: installed CLIs and the delegation history."""
from flask import Blueprint, request

from relay.orch import discover
from relay.present import orchestration
from relay.store import delegation_queries
from relay.web.api import PREFIX, int_arg, ok, read

bp = Blueprint("api_orch", __name__, url_prefix=PREFIX)


@bp.get("/cli/status")
def cli_status():
    return ok(**orchestration.cli_status(discover.discover()))


@bp.get("/delegations")
def delegations():
    limit = int_arg("limit", 50, 1, 1000)
    cli, status = request.args.get("cli") or None, request.args.get("status") or None
    rows = read(lambda c: delegation_queries.list_delegations(c, limit=limit, cli=cli, status=status))
    return ok(delegations=[orchestration.delegation(r) for r in rows])


@bp.get("/delegations/stats")
def delegation_stats():
    return ok(stats=orchestration.delegation_stats(read(delegation_queries.stats)))
