"""Series over time for the dashboard's charts: dollars per model, tokens per kind, cache hit and
error rates per bucket, and each quota window's utilization with its resets and the projection
to the next one. Each is one SQL aggregate (relay.store.chart_queries); Python only prices the
few distinct models and fills empty buckets.
"""
import re

from relay.costs import rates
from relay.costs.cost import PER_TOKEN
from relay.costs.prices import KINDS
from relay.costs.quota import UNIFIED
from relay.store import chart_queries
from relay.store.totals_queries import row_dollars

_SPAN = re.compile(r"^(\d+)([mhdw])")
_UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
QUOTA_POINTS = 96        # buckets across a quota chart's look-back


def buckets(start, step, count):
    """The start time of each bucket."""
    return [start + i * step for i in range(count)]


def _fill(rows, count, key):
    out = [0] * count
    for row in rows:
        if 0 <= row["bucket"] < count:
            out[row["bucket"]] = row[key]
    return out


def cost(conn, table, start, step, count):
    """{"models": [...], "cost": {model: [dollars per bucket]}, "unpriced": {model: requests}}:
    the rows relay prices, dollars as relay.costs.cost.cost_of gives them (a model without a price
    is listed under unpriced and adds no dollars, never a false 0 for priced ones)."""
    prices = {m: table.lookup(m) for m in chart_queries.models_since(conn, start) if m}
    dollars_sql, args = row_dollars(prices, KINDS, PER_TOKEN)
    rows = chart_queries.cost_buckets(conn, start, step, dollars_sql, args)
    by_model, unpriced = {}, {}
    for row in rows:
        model = row["model"] or "(unknown)"
        series = by_model.setdefault(model, [0.0] * count)
        if 0 <= row["bucket"] < count:
            series[row["bucket"]] += row["cost"] or 0.0
        if row["unpriced"]:
            unpriced[model] = unpriced.get(model, 0) + row["unpriced"]
    priced = {m: s for m, s in by_model.items() if any(s)}
    order = sorted(priced, key=lambda m: (-sum(priced[m]), m))
    return {"models": order, "cost": {m: priced[m] for m in order}, "unpriced": unpriced}


def tokens(conn, start, step, count):
    """{kind: [tokens per bucket]} for the price kinds (input, output, cache writes 5m/1h, read)."""
    rows = chart_queries.token_buckets(conn, start, step)
    return {kind: _fill(rows, count, kind) for kind in KINDS}


def hit_and_error_rates(conn, start, step, count):
    """{"cache_hit_pct": [...], "error_pct": [...], "requests": [...]} per bucket; None where a
    bucket had no request (or no prompt tokens), which a chart leaves as a gap."""
    rows = {r["bucket"]: r for r in chart_queries.rate_buckets(conn, start, step)}
    hit, error, requests = [], [], []
    for i in range(count):
        row = rows.get(i)
        if row is None:
            hit.append(None)
            error.append(None)
            requests.append(0)
            continue
        rate = rates.hit_rate({"cache_read": row["cache_read"], "cache_creation": row["cache_creation"],
                               "cache_creation_5m": 0, "cache_creation_1h": 0, "input": row["input"]})
        hit.append(None if rate is None else round(100 * rate, 1))
        error.append(round(100 * row["failed"] / row["requests"], 1) if row["requests"] else None)
        requests.append(row["requests"])
    return {"cache_hit_pct": hit, "error_pct": error, "requests": requests}


# Where each quota family keeps a window's history in the stored headers: the utilization header,
# its scale to percent, and the reset headers (an epoch, or seconds after the measurement). A
# family the quota report lists but this table does not know still gets its current value.
QUOTA_HEADERS = {
    "anthropic": lambda name: (f"{UNIFIED}{name}-utilization", 100.0, (f"{UNIFIED}{name}-reset",), False),
    "codex": lambda name: (f"x-codex-{name}-used-percent", 1.0,
                           (f"x-codex-{name}-reset-at", f"x-codex-{name}-reset-after-seconds"), True),
}


def window_seconds(window):
    """A window's length: its name ("5h", "7d_opus"), else its window_minutes, else a day."""
    match = _SPAN.match(str(window.get("name") or ""))
    if match:
        return int(match.group(1)) * _UNIT_S[match.group(2)]
    if window.get("window_minutes"):
        return float(window["window_minutes"]) * 60
    return 86400.0


def _number(raw):
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def _reset_of(resets, ts, relative):
    first = _number(resets[0]) if resets else None
    if first is not None:
        return first
    if relative and len(resets) > 1 and _number(resets[1]) is not None:
        return ts + _number(resets[1])
    return None


def projection(points, reset_ts, window_s, now):
    """The utilization expected at the next reset if use goes on at the pace of the current
    window: the slope from the window's first measurement (or from 0 % at the window's start,
    with one) to its last, carried to the reset. None without a future reset or a measurement."""
    if reset_ts is None or reset_ts <= now:
        return None
    current = [p for p in points if p[0] >= reset_ts - window_s and p[1] is not None]
    if not current:
        return None
    last_t, last_u = current[-1]
    first_t, first_u = current[0] if len(current) > 1 else (reset_ts - window_s, 0.0)
    if last_t <= first_t:
        return None
    slope = max(0.0, (last_u - first_u) / (last_t - first_t))
    return {"from_ts": last_t, "from_pct": last_u, "ts": reset_ts,
            "pct": round(last_u + slope * (reset_ts - last_t), 1)}


def quota_windows(report):
    """(family, window) for every window list of a quota report (anthropic, codex, and any
    further family with a `windows` list), or the estimate's one window."""
    out = []
    for family, value in report.items():
        if isinstance(value, dict) and isinstance(value.get("windows"), list):
            out.extend((family, w) for w in value["windows"] if isinstance(w, dict) and w.get("name"))
    if not out and (report.get("estimate") or {}).get("window"):
        out.append(("estimate", report["estimate"]["window"]))
    return out


def quota(conn, report, now):
    """One entry per window of `report` (relay.costs.quota.report): its utilization over the
    look-back (twice the window, at most a week), the resets seen in it, the next reset and the
    projection to it."""
    out = []
    for family, window in quota_windows(report):
        window_s = window_seconds(window)
        span = min(2 * window_s, 7 * 86400)
        start, step = now - span, span / QUOTA_POINTS
        points, resets = [], set()
        headers = QUOTA_HEADERS.get(family)
        if headers is not None:
            value_header, scale, reset_headers, relative = headers(window["name"])
            for row in chart_queries.header_buckets(conn, start, step, value_header, reset_headers):
                value = _number(row["value"])
                if value is None:
                    continue
                points.append([row["ts"], round(value * scale, 2)])
                reset = _reset_of(row["resets"], row["ts"], relative)
                if reset is not None and start <= reset <= now:
                    resets.add(round(reset))
        if not points and window.get("utilization_pct") is not None and window.get("measured_ts"):
            points.append([window["measured_ts"], window["utilization_pct"]])
        next_reset = window.get("reset_ts")
        out.append({"family": family, "name": window["name"], "window_s": window_s, "start": start,
                    "end": max(now, next_reset or now), "now": now, "points": points,
                    "resets": sorted(resets), "next_reset": next_reset,
                    "used_pct": window.get("utilization_pct"),
                    "projection": projection(points, next_reset, window_s, now)})
    return out


def turn_costs(conn, session_id, table):
    """{exchange id: dollars (None: unpriced)} for every captured turn of a session."""
    prices = {m: table.lookup(m) for m in chart_queries.session_models(conn, session_id) if m}
    dollars_sql, args = row_dollars(prices, KINDS, PER_TOKEN)
    return chart_queries.exchange_dollars(conn, session_id, dollars_sql, args)
