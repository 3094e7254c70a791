"""Quota: the latest measured 5h/7d windows from stored rate-limit headers, or an estimate.

The proxy stores every `anthropic-ratelimit-*` (and Codex `x-codex-*`) header raw, and the quota
values found in a plan's usage answer (ChatGPT's wham/usage, Gemini's retrieveUserQuota); parsing
happens in relay.costs.ratelimits, on top, so a header suffix we do not know yet is kept in `raw`
instead of dropped. Header values win over inference: the estimate is used only when no request
carried them, and says so. Every window is shown; the one named by `representative-claim` is
flagged, because clients that trusted the wrong window blocked too early (claude-code #12829). All
times are computed in UTC.
"""
import time

from relay import times
from relay.costs import per_percent, prices
from relay.costs.ratelimits import UNIFIED, iso, parse_anthropic, parse_codex, parse_gemini
from relay.store import metrics_queries

BLOCK_S = 5 * 3600
REJECTION_WINDOWS = {"24h": 86400, "7d": 7 * 86400}


def _parse_time(value):
    when = times.parse_time(str(value))     # a naive time is UTC, never local time
    return None if when is None else when.timestamp()


def estimate_blocks(times):
    """ccusage-style 5h blocks over activity epochs: a block starts at its first activity floored
    to the UTC hour and lasts 5 h; activity after its end starts the next. Returns (start, end)."""
    blocks = []
    for ts in sorted(times):
        if not blocks or ts >= blocks[-1][1]:
            start = ts - ts % 3600
            blocks.append((start, start + BLOCK_S))
    return blocks


def estimate(proxied, file_times, now):
    """The current 5h window inferred from activity, labelled as such; 7d cannot be inferred
    because the weekly limits are unpublished."""
    times = list(proxied) + [t for t in map(_parse_time, file_times) if t is not None and t <= now]
    blocks = estimate_blocks(t for t in times if t >= now - 2 * 86400)
    current = blocks[-1] if blocks and blocks[-1][1] > now else None
    return {"source": "estimated", "basis": "5h blocks from proxy requests and session files, floored to the UTC hour",
            "activity_points": len(times),
            "window": None if current is None else {
                "name": "5h", "start_ts": current[0], "start": iso(current[0]), "reset_ts": current[1],
                "reset": iso(current[1]), "utilization_pct": None},
            "note": "estimated: usage from other devices and apps is not seen; the 7d window cannot be inferred"}


def split_rejections(rows):
    """429s and 529s by cause. `quota`: a 429 rate_limit_error, the subscription window is spent
    (unified status rejected or a rate-limit error); `overloaded`: 529 or overloaded_error, a
    temporary capacity limit that is not the user's quota; `other_429`: a 429 with neither sign."""
    counts = {"quota": 0, "overloaded": 0, "other_429": 0}
    last = {}
    for row in rows:
        error = (row.get("error") or "").lower()
        headers = row.get("ratelimit") or {}
        if row["status"] == 529 or "overloaded" in error:
            cause = "overloaded"
        elif row["status"] == 429 and (headers.get(UNIFIED + "status") == "rejected" or "rate_limit" in error
                                       or "rate limit" in error):
            cause = "quota"
        elif row["status"] == 429:
            cause = "other_429"
        else:
            continue
        counts[cause] += 1
        last[cause] = iso(row["ts"])
    return {**counts, "last": last}


def report(conn, now=None):
    """Everything `relay quota` and `/api/v1/quota` show: measured windows (or the estimate),
    429s split by cause over the last 24 h and 7 d, and the dollars one percent bought."""
    now = time.time() if now is None else now
    rows = metrics_queries.ratelimit_rows(conn)
    anthropic, codex, gemini = parse_anthropic(rows), parse_codex(rows), parse_gemini(rows)
    measured = bool(anthropic or codex or gemini)
    out = {"now": iso(now), "source": "measured" if measured else "estimated",
           "anthropic": anthropic, "codex": codex, "gemini": gemini, "estimate": None}
    if not measured:
        out["estimate"] = estimate(*metrics_queries.activity_times(conn, now - 2 * 86400), now)
    longest = max(REJECTION_WINDOWS.values())
    rejected = metrics_queries.rejected_rows(conn, now - longest)
    out["rejections"] = {name: split_rejections([r for r in rejected if r["ts"] >= now - span])
                         for name, span in REJECTION_WINDOWS.items()}
    out["per_percent"] = per_percent.report(conn, prices.load(), now)
    return out


# `relay quota --plan`: a 5h window's limits for people whose proxy has measured no rate-limit
# header. Anthropic publishes only message counts ("around 45 messages every five hours" on Pro,
# "at least 225" on Max 5x and "at least 900" on Max 20x, support articles 8324991 and 11014257);
# the token (input + output) and dollar limits are Claude-Code-Usage-Monitor's presets
# (src/claude_monitor/core/plans.py, Oct 2025). None is a contract: every result says "estimate".
PLANS = {
    "pro": {"tokens": 44_000, "cost": 18.0, "messages": 45},
    "max5": {"tokens": 88_000, "cost": 35.0, "messages": 225},
    "max20": {"tokens": 220_000, "cost": 140.0, "messages": 900},
}
PLAN_SOURCES = ("messages: Anthropic's help center (Pro ~45, Max 5x >= 225, Max 20x >= 900 per 5 h); "
                "tokens (input + output) and dollars: Claude-Code-Usage-Monitor's plan presets")


def _p90(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(0.9 * len(values)))] if values else None


def _measures(block):
    t = block["tokens"]
    return {"tokens": t["input_tokens"] + t["output_tokens"], "cost": block["cost"], "messages": block["entries"]}


def plan_limits(plan, blocks):
    """The limits of a plan; `custom`: the 90th percentile of each measure over past finished
    blocks (as Usage-Monitor's custom plan), never below Pro's."""
    if plan != "custom":
        return dict(PLANS[plan])
    done = [_measures(b) for b in blocks if not b["gap"] and not b["active"]]
    return {k: max(PLANS["pro"][k], _p90([m[k] for m in done]) or 0) for k in PLANS["pro"]}


def plan_estimate(plan, blocks, now):
    """`relay quota --plan`: the active 5h block (relay.costs.reports.blocks) against the plan's
    limits: each measure used, its share, and when it would run out at the block's burn rate
    (before the block ends, else None). Always labelled an estimate."""
    limits = plan_limits(plan, blocks)
    active = next((b for b in reversed(blocks) if not b["gap"] and b["active"]), None)
    out = {"source": "estimated", "plan": plan, "limits": limits, "sources": PLAN_SOURCES,
           "note": "estimate: plan limits are not published as numbers relay can check, and usage from other "
                   "devices and claude.ai is not seen", "window": None}
    if active is None:
        return out
    used = _measures(active)
    minutes = max((active["actual_end_ts"] - active["first_entry_ts"]) / 60, 1.0)
    measures = {}
    for name, limit in limits.items():
        rate = used[name] / minutes
        runs_out = None
        if used[name] >= limit:
            runs_out = now
        elif rate > 0:
            at = now + (limit - used[name]) / rate * 60
            runs_out = at if at < active["end_ts"] else None
        measures[name] = {"used": used[name], "limit": limit, "pct": round(100 * used[name] / limit, 1),
                          "per_minute": rate, "runs_out_ts": runs_out, "runs_out": iso(runs_out),
                          "reached": used[name] >= limit}
    busiest = max(measures.values(), key=lambda m: m["pct"])
    out["window"] = {"name": "5h", "start_ts": active["start_ts"], "start": iso(active["start_ts"]),
                     "reset_ts": active["end_ts"], "reset": iso(active["end_ts"]), "utilization_pct": busiest["pct"],
                     "measures": measures}
    return out
