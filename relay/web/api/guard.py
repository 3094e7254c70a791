"""/api/v1 over the guard: its live state and alerts, turns with their cost, fill and zone, and the
status line's data (the JSON twin of `relay statusline`)."""
import time

from flask import Blueprint, request

from relay.costs import prices
from relay.errors import RelayError
from relay.guard import turns
from relay.present import guard as view
from relay.present import statusline, statusline_reads
from relay.store import queries
from relay.web.api import PREFIX, context, int_arg, ok, read

bp = Blueprint("api_guard", __name__, url_prefix=PREFIX)


@bp.get("/guard")
def guard_state():
    """The live guard: tier per zone and per session, and recent alerts (?after=ID: newer only)."""
    after = int_arg("after", None, 0, 2**62)
    return ok(guard=view.guard(context().guard.snapshot(after), source="live"))


@bp.get("/turns")
def turns_recent():
    """The latest model responses across sessions: tokens, cost, context fill and its zone."""
    limit = int_arg("limit", 50, 1, 1000)
    rows = read(lambda c: queries.recent_usage(c, limit=limit))
    return ok(turns=view.turns(turns.from_exchanges(rows, prices.load(), context().guard.thresholds)))


@bp.get("/turns/<session_id>")
def turns_session(session_id):
    """One session's turns, newest first: from the proxy's rows, else from the session index."""
    limit = int_arg("limit", 1000, 1, 100000)
    ctx = context()
    found = turns.for_session(ctx.store, session_id, limit, ctx.guard.thresholds)
    if not found:
        raise RelayError(f"no turns recorded for session {session_id!r}", status=404)
    return ok(session_id=session_id, **view.session_turns(found))


@bp.get("/statusline")
def statusline_data():
    """What `relay statusline` shows for ?session_id= (measured quota, cost of the session and of
    today, cache hit rate, context fill, guard tier), with the line itself as plain text."""
    now = time.time()
    ctx = context()
    status = {"session_id": request.args.get("session_id") or None}
    measured, _ = statusline_reads.measure(ctx.store, statusline.session_of(status), prices.load(), now)
    data = statusline.statusline(status, measured, ctx.guard.thresholds, now)
    return ok(statusline=data, line=statusline.line(data, now, color=False))
