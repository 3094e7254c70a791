"""Money and limits: cost reports, the price table, quota windows, cache / TTL / error rates, and
the dashboard's headline numbers."""

from relay import times


def usd(value):
    """Dollars rounded to a millionth; None (unpriced) stays None, never 0."""
    return None if value is None else round(value, 6)


def _cost_group(group):
    return {**group, "cost": usd(group["cost"]), "dollars": {k: usd(v) for k, v in group["dollars"].items()}}


def cost_report(result):
    """`relay cost`, /api/v1/cost and MCP cost_summary: groups, total and unpriced models. A cost
    of None means unpriced usage, never free."""
    out = {"by": result["by"], "currency": result["currency"], "since": times.iso(result["since"]),
           "table_date": result["table_date"], "overrides": result["overrides"], "sources": result["sources"],
           "rows": [_cost_group(g) for g in result["rows"]], "total": _cost_group(result["total"]),
           "unpriced": result["unpriced"]}
    if result.get("until") is not None:
        out["until"] = times.iso(result["until"])
    return out


def price_table(table):
    """`relay prices`: every row with its rates (USD per million tokens) and where it came from."""
    return {"table_date": table.date, "source": table.source, "currency": "USD", "unit": "per million tokens",
            "overrides": str(table.path) if table.path else None, "models": [p.to_dict() for p in table.rows()]}


def quota(report):
    """`relay quota` and /api/v1/quota: every measured window, the representative one flagged and
    repeated as `headline`, or the estimate when nothing was measured."""
    anthropic = report["anthropic"]
    headline = None
    if anthropic:
        windows = anthropic["windows"]
        headline = next((w for w in windows if w["representative"]), windows[0] if windows else None)
    elif report["codex"]:
        headline = report["codex"]["windows"][0]
    elif report.get("gemini"):
        headline = report["gemini"]["windows"][0]
    elif report["estimate"]:
        headline = report["estimate"]["window"]
    return {**report, "headline": headline}


# The quota block of each CLI in a quota report: Claude's unified windows, Codex's plan windows,
# Gemini Code Assist's per-model buckets.
QUOTA_OF_CLI = (("claude", "anthropic"), ("codex", "codex"), ("gemini", "gemini"))


def quota_windows(report):
    """Every measured window of every CLI, side by side (else the estimate), for the dashboard gauge."""
    measured = [{"cli": cli, "name": w["name"], "used_pct": w.get("utilization_pct"), "reset": w.get("reset"),
                 "status": w.get("status")}
                for cli, key in QUOTA_OF_CLI for w in (report.get(key) or {}).get("windows") or []]
    if measured:
        return {"source": "measured", "windows": measured}
    estimate = report.get("estimate")
    if estimate and estimate.get("window"):
        w = estimate["window"]
        return {"source": "estimated", "windows": [{"cli": None, "name": w.get("name", "5h"),
                                                    "used_pct": w.get("utilization_pct"),
                                                    "reset": w.get("reset"), "status": None}]}
    return {"source": None, "windows": []}


def cache_metrics(data):
    """/api/v1/cache: hit rate = cache_read / (cache_read + cache_creation + input)."""
    return {**data, "formula": "cache_read / (cache_read + cache_creation + input)"}


def ttl_metrics(data):
    """/api/v1/ttl: the cache-write TTL tier per session."""
    return data


def error_metrics(windows):
    """/api/v1/errors: per window, requests and count and rate per status class (429 apart from 4xx)."""
    return {"windows": windows}


def _rate(value):
    return None if value is None else round(100 * value, 1)


def summary_of(counts, cost, errors, cache):
    """The dashboard's headline numbers: requests and cost today, error and cache-hit rates."""
    hour = errors.get("1h") or {"requests": 0, "counts": {}}
    failed = sum(n for cls, n in hour["counts"].items() if cls != "2xx")
    return {"requests_today": counts["requests_today"], "in_flight": counts["in_flight"],
            "cost_today": usd(cost["total"]["cost"]),
            "cost_by_model": [{"model": g["key"], "cost": usd(g["cost"]), "requests": g["requests"]}
                              for g in cost["rows"]],
            "unpriced": [u["model"] for u in cost["unpriced"]],
            "error_rate_pct": round(100 * failed / hour["requests"], 1) if hour["requests"] else None,
            "errors_1h": failed, "requests_1h": hour["requests"],
            "cache_hit_pct": _rate(cache["global"]["hit_rate"])}
