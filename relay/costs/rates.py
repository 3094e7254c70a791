"""Metrics over proxied requests: cache hit rate, cache TTL tier per session, error rates by class.

Cache hit rate is cache_read / (cache_read + cache_creation + input): the share of prompt tokens
served from cache. The TTL tier comes from the 5m/1h split of cache writes, which matters because
1h writes cost 2x base input and 5m writes 1.25x.
"""
import time

from relay.store import metrics_queries

ERROR_WINDOWS = {"5m": 300, "1h": 3600, "24h": 86400}
CLASSES = ("2xx", "4xx", "429", "5xx", "other")


def _creation(sums):
    # The lump is the total; older rows or other providers may carry only the split, or neither.
    return max(sums["cache_creation"], sums["cache_creation_5m"] + sums["cache_creation_1h"])


def hit_rate(sums):
    """cache_read / (cache_read + cache_creation + input) as a fraction, None when no prompt tokens."""
    denominator = sums["cache_read"] + _creation(sums) + sums["input"]
    return None if denominator == 0 else sums["cache_read"] / denominator


def ttl_tier(sums):
    """'1h', '5m' or 'mixed' from which cache-write TTLs occurred; 'none' without cache writes;
    'unknown' when writes happened but the provider did not report the 5m/1h split."""
    five, hour = sums["cache_creation_5m"] > 0, sums["cache_creation_1h"] > 0
    if five and hour:
        return "mixed"
    if hour:
        return "1h"
    if five:
        return "5m"
    return "unknown" if sums["cache_creation"] > 0 else "none"


def _cache_entry(sums):
    rate = hit_rate(sums)
    return {"requests": sums["requests"], "input_tokens": sums["input"], "cache_read_tokens": sums["cache_read"],
            "cache_creation_tokens": _creation(sums), "cache_creation_5m_tokens": sums["cache_creation_5m"],
            "cache_creation_1h_tokens": sums["cache_creation_1h"],
            "hit_rate": None if rate is None else round(rate, 4)}


def cache(conn, since=None):
    """The global hit rate and one entry per session (most recent first)."""
    sessions = []
    for row in metrics_queries.cache_by_session(conn, since=since):
        sessions.append({"session_id": row["session_id"], "last_seen": row["last_seen"], **_cache_entry(row)})
    return {"global": _cache_entry(metrics_queries.cache_totals(conn, since=since)), "sessions": sessions}


def ttl(conn, since=None):
    """The TTL tier per session, with the write tokens it is based on, and the count per tier."""
    sessions, tiers = [], {}
    for row in metrics_queries.cache_by_session(conn, since=since):
        tier = ttl_tier(row)
        tiers[tier] = tiers.get(tier, 0) + 1
        sessions.append({"session_id": row["session_id"], "last_seen": row["last_seen"], "tier": tier,
                         "cache_creation_5m_tokens": row["cache_creation_5m"],
                         "cache_creation_1h_tokens": row["cache_creation_1h"],
                         "cache_creation_tokens": _creation(row)})
    return {"sessions": sessions, "tiers": tiers}


def errors(conn, now=None):
    """Per window (5 min, 1 h, 24 h): requests, count and rate per status class."""
    now = time.time() if now is None else now
    out = {}
    for name, span in ERROR_WINDOWS.items():
        counts = metrics_queries.status_classes(conn, now - span)
        total = sum(counts.values())
        out[name] = {"requests": total,
                     "counts": {c: counts.get(c, 0) for c in CLASSES},
                     "rates": {c: (round(counts.get(c, 0) / total, 4) if total else None) for c in CLASSES}}
    return out
