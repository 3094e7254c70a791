"""Spend per person on a shared database: the priced proxy rows (the `Since` scope the dashboard
prices) split by the machine and OS user of the relay that wrote them, then by CLI and model,
priced with the same SQL sums as the cost of the day (relay.costs.today.priced_groups)."""
from relay.costs.ratelimits import parse_anthropic, parse_codex, parse_gemini
from relay.costs.today import priced_groups
from relay.store import team_queries, totals_queries

TOKEN_KEYS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


def _add_cost(target, cost, requests):
    if cost is None:
        target["unpriced"] += requests
    else:
        target["cost"] = (target["cost"] or 0.0) + cost


def spend_by_user(store, table, since, person=None):
    """{"since", "users": [{machine, user, requests, cost, unpriced, rows: [{cli, model, requests,
    cost, unpriced, tokens}]}], "total"}; users by cost, most first. cost None: nothing priced.
    `person` (`user` or `user@machine`, team_queries.person_filter) keeps one person's rows."""
    scope = totals_queries.Since(since)
    if person:
        scope = totals_queries.Where(scope, *_person_args(person))

    def read(conn):
        out = []
        for machine, user, cli in team_queries.origins(conn, scope):
            narrowed = totals_queries.Where(scope, team_queries.ORIGIN_SQL, machine, user, cli)
            out.append(((machine, user, cli), priced_groups(conn, narrowed, table)))
        return out

    users: dict = {}
    for (machine, user, cli), groups in store.read(read):
        person = users.setdefault((machine, user), {"machine": machine or None, "user": user or None, "requests": 0,
                                                    "cost": None, "unpriced": 0, "rows": {}})
        for g in groups:
            row = person["rows"].setdefault((cli, g["model"]), {
                "cli": cli or None, "model": g["model"], "requests": 0, "cost": None, "unpriced": 0,
                "tokens": dict.fromkeys(TOKEN_KEYS, 0)})
            row["requests"] += g["requests"]
            person["requests"] += g["requests"]
            for key in TOKEN_KEYS:
                row["tokens"][key] += g[key] + (g["unsplit"] if key == "cache_write_5m" else 0)
            _add_cost(row, g["cost"], g["requests"])
            _add_cost(person, g["cost"], g["requests"])
    by_cost = lambda r: (r["cost"] is None, -(r["cost"] or 0.0))
    people = []
    for person in sorted(users.values(), key=lambda p: (*by_cost(p), p["machine"] or "", p["user"] or "")):
        person["rows"] = sorted(person["rows"].values(), key=lambda r: (*by_cost(r), r["cli"] or "", r["model"] or ""))
        people.append(person)
    priced = [p["cost"] for p in people if p["cost"] is not None]
    total = {"requests": sum(p["requests"] for p in people), "cost": sum(priced) if priced else None,
             "unpriced": sum(p["unpriced"] for p in people)}
    return {"since": since, "users": people, "total": total}


def _person_args(person):
    sql, args = team_queries.person_filter(person)
    return (sql, *args)


# Which CLI's quota each parser reads (Anthropic's unified windows are Claude Code's plan).
_FAMILIES = (("claude", parse_anthropic), ("codex", parse_codex), ("gemini", parse_gemini))


def quota_walls(store, since, now, person=None):
    """Per (machine, user): every quota window measured by their own requests since `since` whose
    reset is still ahead (a window past its reset starts again from zero, so its last reading says
    nothing now), and the fullest of them as `closest`; people nearest a wall first, people with
    no window last. {(machine, user): {"closest": window or None, "windows": [...]}}."""
    rows = store.read(lambda c: team_queries.quota_rows(c, since, person))
    by_person: dict = {}
    for row in rows:
        by_person.setdefault((row["machine"], row["os_user"]), []).append(row)
    out = {}
    for key, own in by_person.items():
        windows = []
        for family, parse in _FAMILIES:
            parsed = parse(own)
            for w in (parsed or {}).get("windows", []):
                if w.get("utilization_pct") is None or (w.get("reset_ts") is not None and w["reset_ts"] <= now):
                    continue
                windows.append({"cli": family, "name": w["name"], "used_pct": w["utilization_pct"],
                                "reset_ts": w.get("reset_ts"), "measured_ts": w.get("measured_ts")})
        windows.sort(key=lambda w: (-w["used_pct"], w["cli"], w["name"]))
        out[key] = {"closest": windows[0] if windows else None, "windows": windows}
    return out
