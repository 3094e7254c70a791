"""ccusage-style usage reports (daily, monthly, session, 5-hour blocks) over the session index.

Nothing here reads a session file: `refresh` brings the index up to date (a warm update is one
directory walk and two SELECTs), then SQL sums the `message_usage` rows that are canonical (one
per message id + request id, across every file that holds a copy). Sums are priced per model
and per long-context side, which equals pricing message by message because the price is linear
within a tier; a model whose override sets another long-context threshold is priced row by row.
Unknown models count their tokens and add no dollars; they are listed as unpriced.
"""
from datetime import datetime

from relay.costs.price_table import LONG_THRESHOLD
from relay.costs.prices import KINDS
from relay.errors import RelayError
from relay.sessions import discover, index
from relay.store import usage_index

BLOCK_S = 5 * 3600
PER_TOKEN = 1_000_000
PROVIDERS = ("claude", "codex", "gemini")


def refresh(store, providers, environ=None, workers=None, progress=None):
    """Index whatever changed in the session files of `providers`; returns the index report.
    New Claude Code sessions get their message rows only (the usage-first pass of relay.sessions.index)."""
    return index.update(store, discover.discover(list(providers), environ), providers=list(providers),
                        workers=workers, usage_only=True, progress=progress)


def day_arg(text, name):
    """`YYYYMMDD` (ccusage's format) -> `YYYY-MM-DD`, or None; a RelayError for anything else."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").strftime("%Y-%m-%d")
    except ValueError:
        raise RelayError(f"--{name} {text!r} is not a date in YYYYMMDD form",
                         hint=f"for example --{name} 20261101") from None


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


def aggregate(store, table, by, providers=PROVIDERS, since_day=None, until_day=None):
    """Groups by `by` (day, month, session) in key order, each with its tokens, cost and models."""
    sums = store.read(lambda c: usage_index.grouped(c, by, LONG_THRESHOLD, providers, since_day, until_day))
    groups, unpriced, by_row = {}, set(), set()
    for row in sums:
        model = row["model"] or "(unknown)"
        price = table.lookup(row["model"])
        if _needs_rows(price):
            by_row.add(row["model"])
            continue
        if price is None:
            unpriced.add(model)
        group = groups.setdefault(row["grp"], _empty(row["grp"]))
        _merge(group, {**row, "messages": row["messages"]}, dollars(price, row, bool(row["long"])), model)
    for model in by_row:          # an override with its own long-context threshold: row by row
        price = table.lookup(model)
        for row in store.read(lambda c, model=model: usage_index.rows(c, providers, since_day, until_day, model=model)):
            key = {"day": row["day"], "month": row["day"][:7], "session": row["session_id"]}[by]
            group = groups.setdefault(key, _empty(key))
            _merge(group, {**row, "messages": 1, "first_ts": row["ts"], "last_ts": row["ts"]},
                   dollars(price, row, row["prompt_tokens"] > price.threshold), model)
    ordered = sorted(groups.values(), key=lambda g: (g["last_ts"] or 0, g["key"]) if by == "session" else g["key"])
    return {"groups": ordered, "unpriced": sorted(unpriced), "table_date": table.date}


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
    cost, models = 0.0, []
    for row in rows:
        for kind in usage_index.TOKENS:
            counts[kind] += row[kind]
        priced = _row_cost(table, row, cache)
        if priced is None:
            unpriced.add(row["model"] or "(unknown)")
        else:
            cost += priced
        if row["model"] and row["model"] not in models:
            models.append(row["model"])
    end, last = start + BLOCK_S, rows[-1]["ts"]
    return {"id_ts": start, "start_ts": start, "end_ts": end, "actual_end_ts": last, "gap": False,
            "active": now - last < BLOCK_S and now < end, "entries": len(rows), "tokens": counts, "cost": cost,
            "models": models, "first_entry_ts": rows[0]["ts"]}


def blocks(store, table, providers=PROVIDERS, since_day=None, until_day=None, now=None):
    """5-hour blocks in UTC as ccusage draws them: a block starts at its first message floored
    to the hour and takes messages until one comes more than 5 h after the block start or
    after the previous message; a silence over 5 h leaves a gap block from 5 h after the last
    message to the next one."""
    import time
    now = time.time() if now is None else now
    rows = store.read(lambda c: usage_index.rows(c, providers, since_day, until_day))
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
    return {"blocks": out, "unpriced": sorted(unpriced), "table_date": table.date, "now": now}
