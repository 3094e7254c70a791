"""What each MCP tool answers: plain functions over relay's services and the present layer, so the
server module only declares schemas. Every function takes the store first; RelayError means a
clear, user-facing failure."""
import os

from relay import __version__, config
from relay import guard as guards
from relay.costs import cost, quota
from relay.diagnostics import scan
from relay.errors import RelayError
from relay.guard import turns
from relay.orch import discover, routing
from relay.present import cache, history, orchestration
from relay.present import costs as cost_view
from relay.present import guard as guard_view
from relay.present.context import Context
from relay.setup import server
from relay.store import delegation_queries, history_queries, queries


def cli_status(store):
    return orchestration.cli_status(discover.discover())


def cli_probe(store, cli):
    return discover.probe(cli)


def delegate(store, task, strategy=None, cli=None, cwd=None, timeout=600.0, fallback=True):
    if timeout <= 0:
        raise RelayError(f"timeout must be positive, got {timeout:g}")
    return orchestration.delegation_result(routing.delegate(store, task, strategy=strategy, cli=cli, cwd=cwd,
                                                            timeout=timeout, fallback=fallback))


def orch_history(store, limit=20, cli=None):
    rows = store.read(lambda c: delegation_queries.list_delegations(c, limit=limit, cli=cli))
    stats = store.read(delegation_queries.stats)
    return {"delegations": [orchestration.delegation(r) for r in rows],
            "stats": orchestration.delegation_stats(stats)}


def relay_stats(store):
    """relay's own state without a running server: counts from the database, and whether the proxy answers."""
    port = config.load().port
    answer = server.health(port, timeout=0.5)
    return {"version": __version__, "db_path": str(store.path), "counts": store.read(queries.counts),
            "server": {"url": server.url(port), "running": answer is not None,
                       "uptime_s": (answer or {}).get("uptime_s")},
            "delegations": orchestration.delegation_stats(store.read(delegation_queries.stats))["total"]}


def _latest_session(store):
    sessions = store.read(lambda c: queries.list_sessions(c, limit=1))
    if not sessions:
        raise RelayError("relay has recorded no session yet",
                         hint="send traffic through relay (ANTHROPIC_BASE_URL) or name a session_id")
    return sessions[0]["session_id"]


def session_turns(store, session_id=None, limit=200):
    session_id = session_id or _latest_session(store)
    found = turns.for_session(store, session_id, limit, guards.thresholds_from(config.load()))
    if not found:
        raise RelayError(f"no turns recorded for session {session_id!r}",
                         hint="session_history lists the sessions relay has seen")
    return {"session_id": session_id, **guard_view.session_turns(found)}


def session_history(store, limit=20):
    return {"sessions": store.read(lambda c: queries.list_sessions(c, limit=limit))}


def session_scan(store, session_id=None, cwd=None):
    """Findings for one session: the given id, else the newest session of the project in `cwd`
    (the directory the calling agent runs in), else the newest session of any project."""
    payload = scan.run(store, session_id=session_id, since=None if session_id else "7d")
    sessions = payload["sessions"]
    if not sessions:
        raise RelayError(f"no session {session_id!r} in the session files" if session_id
                         else "no session files changed in the last 7 days",
                         hint="session_history lists sessions seen by the proxy")
    here = os.path.abspath(cwd or os.getcwd())
    newest = sorted(sessions, key=lambda s: s["ended"] or "", reverse=True)
    chosen = next((s for s in newest if s["project"] == here), newest[0])
    return {"session": chosen, "matched_cwd": chosen["project"] == here}


def cost_summary(store, since="today", by="model"):
    return cost_view.cost_report(cost.query(store, since=since, by=by))


def quota_status(store):
    return cost_view.quota(store.read(quota.report))


def _captured_session(store, session_id):
    """session_id, or the newest captured session when it is None."""
    if session_id is not None:
        return session_id
    newest = store.read(lambda c: history_queries.list_history_sessions(c, limit=1))
    if not newest:
        raise RelayError("relay has captured no turn yet",
                         hint="start relay with RELAY_HISTORY=1 (relay serve --history) and send traffic")
    return newest[0]["session_id"]


def history_turn(store, session_id=None, turn=None):
    """One captured turn in full, as /api/v1/history/<id>/turns/<n> gives it: the system prompt,
    the tools offered, every message (text, tool inputs and results, thinking; images as
    placeholders) and the answer. Defaults: the newest captured session, its last turn."""
    session_id = _captured_session(store, session_id)
    if turn is None:
        last = store.read(lambda c: history_queries.last_turn(c, session_id))
        if last is None:
            raise RelayError(f"no captured history for session {session_id!r}",
                             hint="history_sessions lists the sessions relay captured")
        turn = last["turn"]
    replay = history.turn(Context(None, store), session_id, turn)
    if replay is None:
        raise RelayError(f"no captured turn {turn} in session {session_id!r}",
                         hint="history_sessions lists the sessions relay captured, with their turn counts")
    return replay


def cache_forensics(store, session_id=None):
    """Every cache break of a captured session (turn, cause, what changed, tokens and dollars),
    the window of its last request by MCP server, and the findings, as /api/v1/history/<id>/cache."""
    session_id = _captured_session(store, session_id)
    result = cache.session_cache(Context(None, store), session_id)
    if result is None:
        raise RelayError(f"no captured history for session {session_id!r}",
                         hint="history_sessions lists the sessions relay captured")
    return result


def history_sessions(store, limit=20):
    """The sessions relay captured (history on), newest first, with turns and compactions."""
    return {"sessions": history.sessions(Context(None, store), limit=limit)}
