"""Per-1% cost: how many dollars of API-priced usage one percentage point of the 5h or 7d quota
bought, measured from the proxy's own rows.

How: every proxied Anthropic response carries `anthropic-ratelimit-unified-<w>-utilization`
(a fraction) and `-<w>-reset`. The headers arrive before the response's own tokens are counted,
so between two consecutive measurements A and B of the same window instance (same reset time)
the utilization moved by u(B) - u(A) because of the exchanges from A (inclusive) to B
(exclusive). Per window instance we sum those deltas and the API-priced cost of those exchanges;
dollars per 1% = cost / points. A change of reset time, or a drop in utilization, starts a new
instance: deltas never cross a reset. No value is given rather than a wrong one: an instance
needs at least MIN_POINTS points of movement, and an interval holding an unpriced exchange is
left out (counted in `skipped_intervals`). Usage from other apps and devices also moves the
quota, so the figure is a lower bound of what relay's own traffic buys per percent.
"""
from relay.costs import cost as costs
from relay.store import quota_queries

WINDOWS = ("5h", "7d")
MIN_POINTS = 2.0                  # the headers are coarse (about whole percents); fewer is noise
LOOKBACK_S = 14 * 86400
METHOD = ("per window instance (same reset): sum of utilization deltas between consecutive "
          "responses vs the API-priced cost of the exchanges from one measurement up to the next; "
          f"instances with under {MIN_POINTS:g} points of movement give no value")
KEEP = 5                          # window instances shown per window, newest first
U = "anthropic-ratelimit-unified-"


def _measure(exchange, window):
    """(utilization in percent points, reset string) of one response, or None."""
    headers = exchange.ratelimit or {}
    raw, reset = headers.get(f"{U}{window}-utilization"), headers.get(f"{U}{window}-reset")
    try:
        return float(raw) * 100, reset
    except (TypeError, ValueError):
        return None


def _price(exchange, table):
    price = table.lookup(exchange.model) if exchange.model else None
    if price is None:
        return None if exchange.usage.total else 0.0    # a token-less error costs nothing
    return costs.cost_of(exchange.usage, price)["total"]


def _instances(exchanges, window, table):
    """Window instances, oldest first: {reset, points, cost, intervals, skipped_intervals, exchanges}."""
    instances, current, anchor, pending = [], None, None, []
    for ex in exchanges:
        measured = _measure(ex, window)
        if measured is None:
            if anchor is not None:
                pending.append(ex)
            continue
        value, reset = measured
        if anchor is not None and current is not None and reset == current["reset"] and value >= anchor:
            dollars = [_price(e, table) for e in pending]
            if any(d is None for d in dollars):
                current["skipped_intervals"] += 1
            else:
                current["points"] += value - anchor
                current["cost"] += sum(dollars)
                current["intervals"] += 1
                current["exchanges"] += len(pending)
        else:
            current = {"reset": reset, "points": 0.0, "cost": 0.0, "intervals": 0, "skipped_intervals": 0,
                       "exchanges": 0, "start_ts": ex.ts}
            instances.append(current)
        current["end_ts"] = ex.ts
        anchor, pending = value, [ex]
    return instances


def _ratio(cost, points):
    return round(cost / points, 6) if points >= MIN_POINTS else None


def _summary(instances):
    usable = [i for i in instances if i["points"] >= MIN_POINTS]
    points, cost = sum(i["points"] for i in usable), sum(i["cost"] for i in usable)
    shown = [{**i, "points": round(i["points"], 4), "cost": round(i["cost"], 6),
              "dollars_per_pct": _ratio(i["cost"], i["points"])} for i in reversed(instances)][:KEEP]
    return {"dollars_per_pct": _ratio(cost, points), "points": round(points, 4),
            "cost": round(cost, 6), "instances_used": len(usable), "windows": shown}


def compute(exchanges, table):
    """{window: {dollars_per_pct, points, cost, windows: [...]}} from finished exchanges (oldest first)."""
    out = {}
    for window in WINDOWS:
        out[window] = _summary(_instances([e for e in exchanges if e.provider == "anthropic"], window, table))
    out["method"] = METHOD
    return out


def _number(raw):
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


_UNSEEN = object()
_FIELDS = ("points", "cost", "intervals", "skipped_intervals", "exchanges", "end_ts")


def _walk(rows, column):
    """_instances over narrow rows (raw utilization at `column`, its reset next to it, ts and
    dollars last), with the same steps and the same float sums. The pending interval is a
    running (dollars, count, unpriced) instead of a list of exchanges, and the open instance's
    sums are locals, stored into its dict when the next one starts: this loop runs per row."""
    instances, values, current, anchor = [], {}, None, None
    dollars, count, unpriced = 0, 0, False
    points = cost = 0.0
    intervals = skipped = exchanges = 0
    end_ts = None
    for row in rows:
        raw = row[column]
        value = None if raw is None else values.get(raw, _UNSEEN)
        if value is _UNSEEN:
            value = values[raw] = _number(raw)
        if value is None:
            if anchor is not None:
                spent = row[-1]
                if spent is None:
                    unpriced = True
                else:
                    dollars += spent
                count += 1
            continue
        value *= 100
        reset = row[column + 1]
        if current is not None and reset == current["reset"] and value >= anchor:
            if unpriced:
                skipped += 1
            else:
                points += value - anchor
                cost += dollars
                intervals += 1
                exchanges += count
        else:
            if current is not None:
                current.update(zip(_FIELDS, (points, cost, intervals, skipped, exchanges, end_ts)))
            current = {"reset": reset, "points": 0.0, "cost": 0.0, "intervals": 0, "skipped_intervals": 0,
                       "exchanges": 0, "start_ts": row[-2]}
            instances.append(current)
            points = cost = 0.0
            intervals = skipped = exchanges = 0
        end_ts, anchor, spent = row[-2], value, row[-1]
        dollars, count, unpriced = (0 if spent is None else 0 + spent), 1, spent is None
    if current is not None:
        current.update(zip(_FIELDS, (points, cost, intervals, skipped, exchanges, end_ts)))
    return instances


def report(conn, table, now):
    """compute() over the finished Anthropic rows of the look-back, read narrow: SQL extracts the
    two headers per window and prices each row with cost_of's exact float steps."""

    rows = quota_queries.measurement_rows(conn, now - LOOKBACK_S, WINDOWS, table.lookup, costs.KINDS, costs.PER_TOKEN)
    out = {window: _summary(_walk(rows, 2 * n)) for n, window in enumerate(WINDOWS)}
    out["method"] = METHOD
    return out
