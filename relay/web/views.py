"""What each live page shows, gathered from the store and shaped by the presenters.

One function per page (or live element); the page, its JSON twin under /api/v1 and the SSE
fragments all call these, so the three can never disagree. A section whose source is absent from
the build (relay.orch not importable) is None: the presenters render that as "not available"
rather than as an empty success.
"""
import datetime
import json
import time

from relay.store import history_queries, queries, session_index
from relay.web import presenters

RECENT_REQUESTS = 50
RECENT_DELEGATIONS = 10
LIVE_MINUTES = 30     # /display/ shows sessions with proxy activity this recent


def _midnight(now):
    day = datetime.datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


def summary(ctx, now=None):
    from relay.costs import cost as costs
    from relay.costs import metrics, prices
    now = time.time() if now is None else now
    since = _midnight(now)
    counts = ctx.store.read(lambda c: queries.count_since(c, since))
    cost = costs.today_by_model(ctx.store, prices.load(), since)
    errors = ctx.store.read(lambda c: metrics.errors(c, now=now))
    cache = ctx.store.read(lambda c: metrics.cache(c, since=since))
    return presenters.summary(counts, cost, errors, cache)


def quota(ctx):
    from relay.costs import quota as quota_service
    return presenters.quota_windows(ctx.store.read(quota_service.report))


def requests(ctx, limit=RECENT_REQUESTS):
    return [presenters.exchange(r) for r in ctx.store.read(lambda c: queries.list_exchanges(c, limit=limit))]


def _running():
    """Inside the app: its recent scan (with registered terminals), taken off the event loop.
    Outside one (`relay top` reading the database): a scan now."""
    from flask import current_app, has_app_context

    from relay.web import live_api
    if has_app_context() and "relay_renderer" in current_app.extensions:
        return current_app.extensions["relay_renderer"].running()
    return live_api.alive()


def live_sessions(ctx, now=None, running=None):
    """Cards for every running CLI process (relay.sessions.alive) and every session the proxy saw
    in the last LIVE_MINUTES, joined by session id: a CLI not routed through relay still gets a
    card, and a proxied client on another machine (no local process) does too."""
    now = time.time() if now is None else now
    cutoff = now - LIVE_MINUTES * 60
    if running is None:
        running = _running()
    thresholds = guard_thresholds(ctx)["context"]

    def card(conn, row, alive):
        last = turn = None
        if row.get("session_id") and row.get("requests"):
            last = queries.last_exchange(conn, row["session_id"])
            turn = history_queries.last_turn(conn, row["session_id"])
        composition = body = indexed = None
        if turn is not None:
            composition = json.loads(turn["composition"]) if turn["composition"] else None
            body = history_queries.request_body(conn, row["session_id"], turn["turn"])
        elif alive is not None and alive.get("session_id"):
            # not captured on the wire: what the last `relay scan` read from the session file
            indexed = next(iter(session_index.list_sessions(conn, session_id=alive["session_id"])), None)
        return presenters.live_session(row, None if last is None else presenters.exchange(last),
                                       composition, body, alive, indexed, thresholds)

    def gather(conn):
        seen = {}
        for row in queries.list_sessions(conn, limit=50):
            if row["last_seen"] < cutoff:
                break   # newest first
            seen[row["session_id"]] = row
        cards = []
        for alive in running:
            row = seen.pop(alive["session_id"], None) if alive["session_id"] else None
            if row is None and alive["session_id"]:
                row = next((r for r in queries.list_sessions_by_id(conn, [alive["session_id"]])), None)
            row = row or {"session_id": alive["session_id"] or f"pid-{alive['pid']}", "requests": None,
                          "last_seen": alive["started_at"], "models": []}
            cards.append(card(conn, row, alive))
        cards.extend(card(conn, row, None) for row in seen.values())
        return cards
    return ctx.store.read(gather)


def cli_status(ctx):
    """Installed CLIs, versions and auth state through the context's discovery cache (one
    `--version` per CLI per minute at most); None when this build has no relay.orch."""
    try:
        from relay.orch import discover
    except ImportError:
        return None
    if ctx.cli_cache is None:
        ctx.cli_cache = discover.Cache()
    return presenters.cli_status(ctx.cli_cache.get())


def guard_thresholds(ctx):
    from relay import config, guard
    if ctx.guard is not None:
        return ctx.guard.thresholds
    return guard.thresholds_from(ctx.settings if ctx.settings is not None else config.load())


def guard(ctx):
    """The live guard of this relay; outside one (`relay top` on the database) the guard replayed
    over the stored exchanges of the last hours, which has no alerts and says so."""
    from relay import guard as guards
    if ctx.guard is not None:
        return presenters.guard(ctx.guard.snapshot(), source="live")
    return presenters.guard(guards.replay(ctx.store, guard_thresholds(ctx)).snapshot(), source="database",
                            note=guards.REPLAY_NOTE.format(hours=guards.PRIME_S // 3600))


def delegations(ctx, limit=RECENT_DELEGATIONS):
    from relay.store import delegation_queries
    recent, stats = ctx.store.read(lambda c: (delegation_queries.list_delegations(c, limit=limit),
                                              delegation_queries.stats(c)))
    return presenters.delegation_history(recent, stats)


def dashboard(ctx):
    return {"summary": summary(ctx), "quota": quota(ctx), "requests": requests(ctx), "sessions": live_sessions(ctx),
            "cli_status": presenters.section(cli_status(ctx)), "guard": presenters.section(guard(ctx)),
            "delegations": presenters.section(delegations(ctx))}


def display(ctx, running=None):
    return {"live_minutes": LIVE_MINUTES, "sessions": live_sessions(ctx, running=running)}


def history_list(ctx, limit=100):
    return ctx.store.read(lambda c: history_queries.list_history_sessions(c, limit=limit))


def history_session(ctx, session_id):
    """One session's replay, or None when nothing was captured for it."""
    def gather(conn):
        if not history_queries.has_session(conn, session_id):
            return None
        return presenters.history_session(session_id, history_queries.list_turns(conn, session_id),
                                          history_queries.list_compositions(conn, session_id),
                                          history_queries.list_compactions(conn, session_id))
    return ctx.store.read(gather)


def history_turn(ctx, session_id, turn):
    """One captured turn replayed: its messages (role, block summaries) and response; None when
    the session or turn was not captured."""
    def gather(conn):
        row = next((r for r in history_queries.list_turns(conn, session_id) if r["turn"] == turn), None)
        if row is None:
            return None
        replay = presenters.history_request(row, history_queries.request_body(conn, session_id, turn),
                                            history_queries.response(conn, session_id, turn))
        return {"session_id": session_id, **replay}
    return ctx.store.read(gather)
