"""ccusage-compatible usage reports (`relay report ... --json`): the same field names as ccusage,
plus a `relay` object for what ccusage has no field for."""
from relay import times


def _ccusage_tokens(tokens):
    out = {"inputTokens": tokens["input_tokens"], "outputTokens": tokens["output_tokens"],
           "cacheCreationTokens": tokens["cache_creation_tokens"], "cacheReadTokens": tokens["cache_read_tokens"]}
    out["totalTokens"] = sum(out.values())
    return out


def _ccusage_group(group):
    breakdowns = sorted(({"modelName": model, **{k: v for k, v in _ccusage_tokens(m["tokens"]).items()
                                                  if k != "totalTokens"}, "cost": m["cost"]}
                         for model, m in group["models"].items()), key=lambda b: (-b["cost"], b["modelName"]))
    return {**_ccusage_tokens(group["tokens"]), "totalCost": group["cost"],
            "modelsUsed": sorted(group["models"]), "modelBreakdowns": breakdowns}


def usage_report(kind, result):
    """`relay report daily|monthly|session --json`: ccusage's JSON (`daily[]`/`monthly[]`/`sessions[]`
    and `totals` with the same field names), plus a `relay` object with what ccusage has no field
    for (unpriced models, tokens whose cache TTL was estimated, the price table's date)."""
    rows = []
    for group in result["groups"]:
        body = _ccusage_group(group)
        if kind == "daily":
            rows.append({"date": group["key"], **body})
        elif kind == "monthly":
            rows.append({"month": group["key"], **body})
        else:
            rows.append({"sessionId": group["key"], **{k: body[k] for k in (
                "inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens", "totalCost")},
                "lastActivity": times.utc_day(group["last_ts"]), "modelsUsed": body["modelsUsed"],
                "modelBreakdowns": body["modelBreakdowns"], "projectPath": group["project"] or "Unknown Project"})
    keys = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens", "totalCost")
    totals = {k: sum(r[k] for r in rows) for k in keys}
    return {{"daily": "daily", "monthly": "monthly", "session": "sessions"}[kind]: rows, "totals": totals,
            "relay": {"unpricedModels": result["unpriced"], "pricesDate": result["table_date"],
                      "estimatedTtlTokens": sum(g["estimated_ttl_tokens"] for g in result["groups"]),
                      "cacheWrite1hTokens": sum(g["tokens"]["cache_write_1h"] for g in result["groups"])}}


def _burn(block, now):
    """ccusage's burn rate and projection, for the active block only: tokens of every kind (input,
    output, cache writes and reads) per minute and dollars per hour between its first and last
    message, projected to its end. Counting only input + output here while the dollars include
    the cache made a cheap cached burst project a huge cost against a small token count."""
    minutes = (block["actual_end_ts"] - block["first_entry_ts"]) / 60
    if not block["active"] or minutes <= 0:
        return None, None
    t = block["tokens"]
    tokens = t["input_tokens"] + t["output_tokens"] + t["cache_creation_tokens"] + t["cache_read_tokens"]
    rate = {"tokensPerMinute": tokens / minutes, "costPerHour": block["cost"] / minutes * 60}
    remaining = max(0.0, (block["end_ts"] - now) / 60)
    projection = {"totalTokens": round(tokens + rate["tokensPerMinute"] * remaining),
                  "totalCost": round(block["cost"] + rate["costPerHour"] / 60 * remaining, 2),
                  "remainingMinutes": round(remaining)}
    return rate, projection


def usage_blocks(result):
    """`relay report blocks --json`: ccusage's `blocks[]` field for field."""
    out = []
    for block in result["blocks"]:
        t = block["tokens"]
        counts = {"inputTokens": t["input_tokens"], "outputTokens": t["output_tokens"],
                  "cacheCreationInputTokens": t["cache_creation_tokens"],
                  "cacheReadInputTokens": t["cache_read_tokens"]}
        rate, projection = (None, None) if block["gap"] else _burn(block, result["now"])
        start = times.iso_ms(block["start_ts"])
        out.append({"id": f"gap-{start}" if block["gap"] else start, "startTime": start,
                    "endTime": times.iso_ms(block["end_ts"]),
                    "actualEndTime": None if block["gap"] else times.iso_ms(block["actual_end_ts"]),
                    "isActive": block["active"], "isGap": block["gap"], "entries": block["entries"],
                    "tokenCounts": counts, "totalTokens": sum(counts.values()), "costUSD": block["cost"],
                    "models": block["models"], "burnRate": rate, "projection": projection})
    return {"blocks": out, "relay": {"unpricedModels": result["unpriced"], "pricesDate": result["table_date"]}}
