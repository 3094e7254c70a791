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
