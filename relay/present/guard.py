"""The guard's view: zones, each session's context tier, alerts, and turns with their zone."""
from relay import config, times
from relay import guard as guards
from relay.present.costs import usd


def guard(snapshot, source, note=None):
    """`relay guard` and /api/v1/guard: the worst tier per zone, the quota zone, each session's
    context zone (most recently active first) and the alerts, with UTC times added."""
    sessions = [{**s, "at": times.iso(s.get("ts"))} for s in snapshot["sessions"]]
    worst_context = max((s["tier"] for s in sessions), key=guards.TIERS.index, default="ok")
    return {"source": source, "note": note, "instance": snapshot["instance"], "thresholds": snapshot["thresholds"],
            "zones": {"quota": snapshot["quota"]["tier"], "context": worst_context},
            "quota": {**snapshot["quota"], "at": times.iso(snapshot["quota"].get("ts"))},
            "sessions": sessions, "last_alert_id": snapshot["last_alert_id"],
            "alerts": [{**a, "at": times.iso(a["ts"])} for a in snapshot["alerts"]]}


def thresholds(ctx):
    """The live guard's thresholds, else the settings' (a Context without a running relay)."""
    if ctx.guard is not None:
        return ctx.guard.thresholds
    return guards.thresholds_from(ctx.settings if ctx.settings is not None else config.load())


def current(ctx):
    """The live guard of this relay; outside one (`relay top` on the database) the guard replayed
    over the stored exchanges of the last hours, which has no alerts and says so."""
    if ctx.guard is not None:
        return guard(ctx.guard.snapshot(), source="live")
    return guard(guards.replay(ctx.store, thresholds(ctx)).snapshot(), source="database",
                 note=guards.REPLAY_NOTE.format(hours=guards.PRIME_S // 3600))


def turns(items):
    """/api/v1/turns: each turn with its UTC time, tokens per kind, cost (None: unpriced, never
    0), context fill in percent of the model's window and the guard's zone for it."""
    return [{**t, "at": times.iso(t["ts"]), "cost": usd(t["cost"])} for t in items]


def session_turns(items):
    """/api/v1/turns/<session_id> and MCP session_turns: the turns plus the session's current zone
    (its latest turn's) and totals."""
    shaped = turns(items)
    priced = [t["cost"] for t in shaped if t["cost"] is not None]
    kinds = shaped[0]["tokens"] if shaped else {}
    return {"turns": shaped, "zone": shaped[0]["zone"] if shaped else "ok",
            "context_pct": shaped[0]["context_pct"] if shaped else None,
            "total": {"turns": len(shaped), "cost": usd(sum(priced)) if priced else None,
                      "unpriced_turns": len(shaped) - len(priced),
                      "tokens": {k: sum(t["tokens"][k] for t in shaped) for k in kinds}}}
