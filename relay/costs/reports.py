"""ccusage-style usage reports (daily, monthly, session, 5-hour blocks) over the session index.

Nothing here reads a session file: `refresh` brings the index up to date (a warm update is one
directory walk and two SELECTs), then SQL sums the `message_usage` rows that are canonical (one
per message id + request id, across every file that holds a copy). Sums are priced per model
and per long-context side, which equals pricing message by message because the price is linear
within a tier; a model whose override sets another long-context threshold is priced row by row.
Unknown models count their tokens and add no dollars; they are listed as unpriced.

Days are the calendar days of the report's zone (relay.times.zone): SQL groups by the zone's day
of each row's timestamp, the offset in force at that instant taken from a short list of offset
pieces, so a DST change moves no message to the wrong day; in UTC the stored `day` column is used
as it is. Weeks and months are folded from those days.
"""
from datetime import datetime, timedelta, timezone

from relay import times
from relay.costs.price_table import LONG_THRESHOLD
from relay.costs.prices import KINDS
from relay.sessions import discover, index
from relay.store import usage_index

BLOCK_S = 5 * 3600
PER_TOKEN = 1_000_000
PROVIDERS = ("claude", "codex", "gemini")


def refresh(store, providers, environ=None, workers=None, progress=None):
    """Index whatever changed in the session files of `providers`; returns the index report.
    New sessions get their message rows only, no analysis (`usage_only` of relay.sessions.index)."""
    return index.update(store, discover.discover(list(providers), environ), providers=list(providers),
                        workers=workers, usage_only=True, progress=progress)


def _kinds(sums):
    return {"input": sums["input_tokens"], "output": sums["output_tokens"], "cache_write_5m": sums["cache_write_5m"],
            "cache_write_1h": sums["cache_write_1h"], "cache_read": sums["cache_read_tokens"]}


def dollars(price, sums, long):
    """Cost of summed tokens at one model's base or long-context rates; None when unpriced."""
    if price is None:
        return None
    rates = price.long if long and price.long is not None else price.base
    tokens = _kinds(sums)
    return sum(tokens[k] * getattr(rates, k) for k in KINDS) / PER_TOKEN


def _empty(key):
    return {"key": key, "messages": 0, "cost": 0.0, "first_ts": None, "last_ts": None, "project": None,
            "unpriced_messages": 0, "estimated_ttl_tokens": 0, "tokens": dict.fromkeys(usage_index.TOKENS, 0),
            "models": {}}


def _merge(group, sums, cost, model):
    group["messages"] += sums["messages"]
    for ts_key, pick in (("first_ts", min), ("last_ts", max)):
        if sums.get(ts_key) is not None:
            group[ts_key] = sums[ts_key] if group[ts_key] is None else pick(group[ts_key], sums[ts_key])
    group["project"] = group["project"] or sums.get("project")
    entry = group["models"].setdefault(model, {"tokens": dict.fromkeys(usage_index.TOKENS, 0), "cost": 0.0,
                                               "priced": cost is not None})
    for kind in usage_index.TOKENS:
        group["tokens"][kind] += sums[kind] or 0
        entry["tokens"][kind] += sums[kind] or 0
    group["estimated_ttl_tokens"] += sums["unsplit"] or 0
    if cost is None:
        group["unpriced_messages"] += sums["messages"]
    else:
        group["cost"] += cost
        entry["cost"] += cost


def _needs_rows(price):
    return price is not None and price.long is not None and price.threshold != LONG_THRESHOLD


def instance_name(path, project):
    """The project a row belongs to as ccusage's --instances names it: a Claude Code file's
    project directory (`-work-myapp`), else the session's working directory."""
    parts = (path or "").replace("\\", "/").split("/")
    if "projects" in parts[:-1]:
        at = len(parts) - 1 - parts[::-1].index("projects")
        if at + 1 < len(parts) - 1:
            return parts[at + 1]
    return project or "Unknown Project"


def _zone_days(conn, tz):
    """(sql, args) of the zone's day of a row, with offsets over the span the index holds."""
    if times.zone_name(tz) == "UTC":
        return "day", []
    first, last = usage_index.day_range(conn)
    if first is None:
        return "day", []
    lo = datetime.fromisoformat(first).replace(tzinfo=timezone.utc) - timedelta(days=1)
    hi = datetime.fromisoformat(last).replace(tzinfo=timezone.utc) + timedelta(days=2)
    return usage_index.day_expr(times.offset_pieces(tz, lo.timestamp(), hi.timestamp()))


def _keyer(by, start_of_week):
    if by == "week":
        return lambda day: times.week_start(day, start_of_week)
    if by == "month":
        return lambda day: day[:7]
    return lambda day: day


def aggregate(store, table, by, providers=PROVIDERS, since_day=None, until_day=None, tz=None, span=None,
              project=None, instances=False, start_of_week="sunday", order="asc"):
    """Groups by `by` (day, week, month, session) in key order (`order` desc: newest first), each
    with its tokens, cost and models. Days are `tz`'s (UTC when None); `span` bounds the rows by
    time (epoch seconds, until exclusive), `project` keeps one project's, and `instances` splits
    every group by project (each group then carries `instance`)."""
    tz = tz or timezone.utc
    key_of = _keyer(by, start_of_week)

    def read(conn):
        day = None if by == "session" else _zone_days(conn, tz)
        return usage_index.grouped(conn, by, LONG_THRESHOLD, providers, since_day, until_day, day=day, span=span,
                                   project=project, by_path=instances)

    groups, unpriced, by_row = {}, set(), set()

    def group_of(key, row):
        instance = instance_name(row.get("path"), row["project"]) if instances else None
        group = groups.get((instance, key))
        if group is None:
            group = groups[(instance, key)] = dict(_empty(key), instance=instance)
        return group

    for row in store.read(read):
        model = row["model"] or "(unknown)"
        price = table.lookup(row["model"])
        if _needs_rows(price):
            by_row.add(row["model"])
            continue
        if price is None:
            unpriced.add(model)
        key = row["grp"] if by == "session" else key_of(row["grp"])
        _merge(group_of(key, row), row, dollars(price, row, bool(row["long"])), model)
    for model in by_row:          # an override with its own long-context threshold: row by row
        price = table.lookup(model)
        for row in store.read(lambda c, model=model: usage_index.rows(c, providers, since_day, until_day, model=model,
                                                                      span=span, project=project)):
            key = row["session_id"] if by == "session" else key_of(times.zone_day(row["ts"], tz))
            _merge(group_of(key, row), {**row, "messages": 1, "first_ts": row["ts"], "last_ts": row["ts"]},
                   dollars(price, row, row["prompt_tokens"] > price.threshold), model)
    ordered = sorted(groups.values(), key=lambda g: (g["instance"] or "", (g["last_ts"] or 0, g["key"])
                                                     if by == "session" else g["key"]))
    for group in ordered:
        group["last_day"] = None if group["last_ts"] is None else times.zone_day(group["last_ts"], tz)
    if order == "desc":
        ordered = _descending(ordered)
    return {"groups": ordered, "unpriced": sorted(unpriced), "table_date": table.date, "zone": times.zone_name(tz)}


def _descending(groups):
    """Newest first within each instance, instances in name order (ccusage's --order desc)."""
    out, run = [], []
    for group in groups:
        if run and run[-1]["instance"] != group["instance"]:
            out += run[::-1]
            run = []
        run.append(group)
    return out + run[::-1]


def _row_cost(table, row, cache):
    model = row["model"]
    if model not in cache:
        cache[model] = table.lookup(model)
    price = cache[model]
    if price is None:
        return None
    threshold = price.threshold if price.long is not None else None
    return dollars(price, row, threshold is not None and row["prompt_tokens"] > threshold)


def _block(start, rows, table, cache, now, unpriced):
    counts = dict.fromkeys(usage_index.TOKENS, 0)
    cost, models, by_model = 0.0, [], {}
    for row in rows:
        entry = by_model.setdefault(row["model"] or "(unknown)", {"tokens": dict.fromkeys(usage_index.TOKENS, 0),
                                                                  "cost": 0.0})
        for kind in usage_index.TOKENS:
            counts[kind] += row[kind]
            entry["tokens"][kind] += row[kind]
        priced = _row_cost(table, row, cache)
        if priced is None:
            unpriced.add(row["model"] or "(unknown)")
        else:
            cost += priced
            entry["cost"] += priced
        if row["model"] and row["model"] not in models:
            models.append(row["model"])
    end, last = start + BLOCK_S, rows[-1]["ts"]
    return {"id_ts": start, "start_ts": start, "end_ts": end, "actual_end_ts": last, "gap": False,
            "active": now - last < BLOCK_S and now < end, "entries": len(rows), "tokens": counts, "cost": cost,
            "models": models, "first_entry_ts": rows[0]["ts"], "by_model": by_model}


def blocks(store, table, providers=PROVIDERS, since_day=None, until_day=None, now=None, span=None, project=None,
           order="asc"):
    """5-hour blocks in UTC as ccusage draws them: a block starts at its first message floored
    to the hour and takes messages until one comes more than 5 h after the block start or
    after the previous message; a silence over 5 h leaves a gap block from 5 h after the last
    message to the next one."""
    import time
    now = time.time() if now is None else now
    rows = store.read(lambda c: usage_index.rows(c, providers, since_day, until_day, span=span, project=project))
    out, cache, unpriced, current, start = [], {}, set(), [], None
    for row in rows:
        ts = row["ts"]
        if start is not None and (ts - start > BLOCK_S or ts - current[-1]["ts"] > BLOCK_S):
            out.append(_block(start, current, table, cache, now, unpriced))
            last = current[-1]["ts"]
            if ts - last > BLOCK_S:
                out.append({"gap": True, "start_ts": last + BLOCK_S, "end_ts": ts, "active": False, "entries": 0,
                            "tokens": dict.fromkeys(usage_index.TOKENS, 0), "cost": 0.0, "models": []})
            start, current = None, []
        if start is None:
            start = ts - ts % 3600
        current.append(row)
    if current:
        out.append(_block(start, current, table, cache, now, unpriced))
    if order == "desc":
        out.reverse()
    return {"blocks": out, "unpriced": sorted(unpriced), "table_date": table.date, "now": now}
