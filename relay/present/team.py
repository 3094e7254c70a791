"""The team view: spend per person (machine and OS user), per CLI and per model over a period, and
who is closest to a quota wall, for the dashboard's team section, /api/v1/team and `relay users`.
On a PostgreSQL database several relays share, "the team" is everyone writing to it; on a single
relay's SQLite it is the one person (and any rows imported from others)."""
import time

from relay import times
from relay.costs import prices, team
from relay.present.costs import usd
from relay.present.dashboard import gathered
from relay.store import team_queries, totals_queries

PERIODS = ("today", "24h", "7d", "30d")
DEFAULT_PERIOD = "7d"


def person_key(machine, user):
    """The name a person goes by in filters and tables (`relay users` prints the same)."""
    return f"{user or '?'}@{machine or '?'}"


def _total(rows, key, name):
    out: dict = {}
    for person in rows:
        for row in person["rows"]:
            entry = out.setdefault(row[key], {name: row[key], "requests": 0, "cost": None, "unpriced": 0})
            entry["requests"] += row["requests"]
            if row["cost"] is None:
                entry["unpriced"] += row["requests"]
            else:
                entry["cost"] = (entry["cost"] or 0.0) + row["cost"]
    ordered = sorted(out.values(), key=lambda e: (e["cost"] is None, -(e["cost"] or 0.0), e[name] or ""))
    return [{**e, "cost": usd(e["cost"])} for e in ordered]


def _window(w):
    return None if w is None else {**w, "reset": times.iso(w["reset_ts"]), "measured_at": times.iso(w["measured_ts"])}


def team_view(store, period=DEFAULT_PERIOD, person=None, now=None):
    """Everything the team section shows. `period`: any --since value (7d, 24h, today, a date);
    `person`: None for the whole team, else `user` or `user@machine`. Costs are None when nothing
    was priced (never 0 for unpriced use)."""
    now = time.time() if now is None else now
    since = times.since_ts(period, name="since")
    person = (person or "").strip() or None
    spend = team.spend_by_user(store, prices.load(), since, person)
    walls = team.quota_walls(store, since, now, person)
    people = {}
    for p in spend["users"]:
        key = (p["machine"] or "", p["user"] or "")
        people[key] = {"person": person_key(p["machine"], p["user"]), "machine": p["machine"], "user": p["user"],
                       "requests": p["requests"], "cost": usd(p["cost"]), "unpriced": p["unpriced"],
                       "rows": [{**r, "cost": usd(r["cost"])} for r in p["rows"]]}
    for (machine, user), quota in walls.items():
        entry = people.setdefault((machine, user), {
            "person": person_key(machine, user), "machine": machine or None, "user": user or None, "requests": 0,
            "cost": None, "unpriced": 0, "rows": []})
        entry["closest"], entry["windows"] = _window(quota["closest"]), [_window(w) for w in quota["windows"]]
    ordered = [people[k] for k in sorted(people, key=lambda k: (people[k]["cost"] is None,
                                                                -(people[k]["cost"] or 0.0), people[k]["person"]))]
    for entry in ordered:
        entry.setdefault("closest", None)
        entry.setdefault("windows", [])
    nearest = sorted((p for p in ordered if p["closest"]), key=lambda p: (-p["closest"]["used_pct"], p["person"]))
    everyone = store.read(lambda c: team_queries.origins(c, totals_queries.Since(since)))
    choices = sorted({person_key(machine, user) for machine, user, _ in everyone})
    return {"period": period, "since": times.iso(since), "person": person, "periods": list(PERIODS),
            "choices": choices,
            "people": ordered, "by_cli": _total(spend["users"], "cli", "cli"),
            "by_model": _total(spend["users"], "model", "model"),
            "quota_walls": [{"person": p["person"], **p["closest"]} for p in nearest],
            "total": {**spend["total"], "cost": usd(spend["total"]["cost"]), "people": len(ordered)}}


def section(ctx, period=None, person=None):
    """The dashboard's team section (relay.present.dashboard.section: a failed read shows as
    unavailable), read off the serving loop. A period that is not one raises ConfigError (a 400),
    before anything is read: that is the caller's mistake, not an unavailable section."""
    period = period or DEFAULT_PERIOD
    times.since_ts(period, name="since")

    def read():
        return gathered(lambda c: team_view(c.store, period, person), ctx)
    return ctx.offload(read) if ctx.offload is not None else read()
