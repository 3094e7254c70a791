"""/api/v1 over captured history: sessions, turns, compositions, compactions and replays."""
from flask import Blueprint

from relay.errors import RelayError
from relay.present import cache, history
from relay.store import history_queries
from relay.web.api import PREFIX, context, int_arg, ok, read
from relay.web.offload import offloaded

bp = Blueprint("api_history", __name__, url_prefix=PREFIX)


def _history_read(session_id, fn):
    """fn(conn, session_id), or the API's 404 when relay captured nothing for that session."""
    if not read(lambda c: history_queries.has_session(c, session_id)):
        raise RelayError(f"no captured history for session {session_id!r}", status=404)
    return read(lambda c: fn(c, session_id))


@bp.get("/history")
def history_sessions():
    limit = int_arg("limit", 100, 1, 10000)
    return ok(sessions=history.sessions(context(), limit=limit))


@bp.get("/history/<session_id>")
def history_turns(session_id):
    rows = _history_read(session_id, history_queries.list_turns)
    return ok(session_id=session_id, turns=[history.history_turn(r) for r in rows])


@bp.get("/history/<session_id>/composition")
def history_composition(session_id):
    return ok(session_id=session_id, turns=_history_read(session_id, history_queries.list_compositions))


@bp.get("/history/<session_id>/compactions")
def history_compactions(session_id):
    return ok(session_id=session_id, compactions=_history_read(session_id, history_queries.list_compactions))


@bp.get("/history/<session_id>/replay")
@offloaded("the session's history")
def history_replay(session_id):
    replay = history.session(context(), session_id)
    if replay is None:
        raise RelayError(f"no captured history for session {session_id!r}", status=404)
    return ok(replay=replay)


@bp.get("/history/<session_id>/turns/<int:turn>")
@offloaded("the turn")
def history_turn_replay(session_id, turn):
    replay = history.turn(context(), session_id, turn)
    if replay is None:
        raise RelayError(f"no captured turn {turn} in session {session_id!r}", status=404)
    return ok(turn=replay)


@bp.get("/history/<session_id>/cache")
def history_cache(session_id):
    """Cache breaks with cause and cost, the window by MCP server and the findings (relay.present.cache)."""
    result = cache.session_cache(context(), session_id)
    if result is None:
        raise RelayError(f"no captured history for session {session_id!r}", status=404)
    return ok(**result)
