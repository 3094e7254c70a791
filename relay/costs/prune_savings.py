"""Pruning savings in tokens and dollars, per tier and model, from the measured rows of
prune_savings (relay/proxy/stages/prune/savings.py): each request's unpruned billing split
(before) and upstream's usage for the pruned body (after), both priced with the price table as
a response is (cost.cost_of: input, cache read and 5m/1h cache write prices, a long prompt at the
long rates). Saved = before - after. A model missing from the price table keeps its tokens and
has dollars None, never 0.
"""
from relay.costs.cost import cost_of
from relay.models import Usage

SIDES = ("before", "after")
KINDS = ("input", "cache_read", "cache_write_5m", "cache_write_1h")


def _usage(row, side):
    five, hour = row[f"{side}_cache_write_5m"], row[f"{side}_cache_write_1h"]
    return Usage(input_tokens=row[f"{side}_input"], cache_read_input_tokens=row[f"{side}_cache_read"],
                 cache_creation_input_tokens=five + hour, cache_creation_5m_input_tokens=five,
                 cache_creation_1h_input_tokens=hour)


def _empty(tier, model):
    return {"tier": tier, "model": model, "requests": 0,
            **{side: {**dict.fromkeys(KINDS, 0), "tokens": 0, "dollars": 0.0} for side in SIDES},
            "saved": {"tokens": 0, "dollars": 0.0}}


def _add(group, row, price):
    group["requests"] += 1
    for side in SIDES:
        usage = _usage(row, side)
        for kind in KINDS:
            group[side][kind] += row[f"{side}_{kind}"]
        group[side]["tokens"] += sum(row[f"{side}_{kind}"] for kind in KINDS)
        dollars = None if price is None or group[side]["dollars"] is None else cost_of(usage, price)["total"]
        group[side]["dollars"] = None if dollars is None else group[side]["dollars"] + dollars
    group["saved"]["tokens"] = group["before"]["tokens"] - group["after"]["tokens"]
    before, after = group["before"]["dollars"], group["after"]["dollars"]
    group["saved"]["dollars"] = None if before is None or after is None else before - after


def summarize(rows, table):
    """{"by_model": [one group per tier and model], "total": one group over every row}; a group
    has requests, before and after (tokens per kind, tokens, dollars) and saved (tokens, dollars)."""
    groups: dict[tuple, dict] = {}
    total = _empty(None, None)
    for row in rows:
        price = table.lookup(row["model"]) if row["model"] else None
        key = (row["tier"], row["model"])
        _add(groups.setdefault(key, _empty(*key)), row, price)
        _add(total, row, price)
    for group in (*groups.values(), total):
        for side in SIDES:
            if group[side]["dollars"] is not None:
                group[side]["dollars"] = round(group[side]["dollars"], 6)
        if group["saved"]["dollars"] is not None:
            group["saved"]["dollars"] = round(group["saved"]["dollars"], 6)
    return {"by_model": sorted(groups.values(), key=lambda g: (g["tier"], g["model"] or "")), "total": total}
