"""ccusage-compatible usage reports (`relay report ... --json`): the same field names as ccusage,
plus a `relay` object for what ccusage has no field for."""
from relay import times
from relay.present.format import epoch as fmt_epoch


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


LABELS = {"daily": "date", "weekly": "week", "monthly": "month", "session": "sessionId"}
ROWS = {"daily": "daily", "weekly": "weekly", "monthly": "monthly", "session": "sessions"}
TOTAL_KEYS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens", "totalCost")


def _row(kind, group):
    body = _ccusage_group(group)
    if kind != "session":
        row = {LABELS[kind]: group["key"], **body}
    else:
        row = {"sessionId": group["key"], **{k: body[k] for k in TOTAL_KEYS},
               "lastActivity": group.get("last_day") or times.utc_day(group["last_ts"]),
               "modelsUsed": body["modelsUsed"], "modelBreakdowns": body["modelBreakdowns"],
               "projectPath": group["project"] or "Unknown Project"}
    if group.get("instance") is not None:
        row["project"] = group["instance"]
    return row


def usage_report(kind, result):
    """`relay report daily|weekly|monthly|session --json`: ccusage's JSON (`daily[]`/`weekly[]`/
    `monthly[]`/`sessions[]` and `totals` with the same field names; with --instances ccusage's
    `projects` object of rows per project instead), plus a `relay` object with what ccusage has no
    field for (unpriced models, tokens whose cache TTL was estimated, the price table's date, the
    time zone the days are in)."""
    rows = [_row(kind, group) for group in result["groups"]]
    totals = {k: sum(r[k] for r in rows) for k in TOTAL_KEYS}
    relay = {"unpricedModels": result["unpriced"], "pricesDate": result["table_date"],
             "estimatedTtlTokens": sum(g["estimated_ttl_tokens"] for g in result["groups"]),
             "cacheWrite1hTokens": sum(g["tokens"]["cache_write_1h"] for g in result["groups"]),
             "timezone": result.get("zone", "UTC")}
    if any(g.get("instance") is not None for g in result["groups"]):
        projects = {}
        for row in rows:
            projects.setdefault(row["project"], []).append(row)
        return {"projects": projects, "totals": totals, "relay": relay}
    return {ROWS[kind]: rows, "totals": totals, "relay": relay}


def report_rows(kind, payload):
    """The rows of a usage report as every flat format prints them (text table, CSV, Markdown):
    [(section, row)] where section is a project name under --instances (else None) and row is the
    ccusage JSON row."""
    if "projects" in payload:
        return [(name, row) for name, rows in payload["projects"].items() for row in rows]
    return [(None, row) for row in payload[ROWS[kind]]]


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


def _block_models(block):
    out = []
    for model, entry in (block.get("by_model") or {}).items():
        counts = _ccusage_tokens(entry["tokens"])
        out.append({"modelName": model, **counts, "cost": entry["cost"]})
    return sorted(out, key=lambda b: (-b["cost"], b["modelName"]))


def usage_blocks(result, breakdown=False):
    """`relay report blocks --json`: ccusage's `blocks[]` field for field (with breakdown, each block
    also has ccusage's daily `modelBreakdowns`)."""
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
        if breakdown:
            out[-1]["modelBreakdowns"] = _block_models(block)
    return {"blocks": out, "relay": {"unpricedModels": result["unpriced"], "pricesDate": result["table_date"]}}


def _runs_out(projection):
    """When utilization reaches 100 % at the measured slope, if before the reset; else None."""
    if not projection or projection["pct"] < 100 or projection["ts"] <= projection["from_ts"]:
        return None
    slope = (projection["pct"] - projection["from_pct"]) / (projection["ts"] - projection["from_ts"])
    if projection["from_pct"] >= 100:
        return projection["from_ts"]
    return projection["from_ts"] + (100 - projection["from_pct"]) / slope if slope > 0 else None


def live_block(payload, windows, now):
    """`relay report blocks --live`: the active block (None when idle) with ccusage's burn rate and
    projection, its elapsed and remaining time, and each measured quota window (relay.costs.series)
    with utilization now, at the reset if the measured slope holds, and when it would hit 100 %."""
    active = next((b for b in payload["blocks"] if b["isActive"]), None)
    block = None
    if active is not None:
        start, end = fmt_epoch(active["startTime"]), fmt_epoch(active["endTime"])
        block = {**active, "start_ts": start, "end_ts": end, "elapsed_s": max(0.0, now - start),
                 "remaining_s": max(0.0, end - now), "elapsed_pct": round(100 * min(1.0, (now - start) / (end - start)),
                                                                          1)}
    quota = []
    for w in windows:
        projection = w.get("projection")
        quota.append({"cli": w["family"], "name": w["name"], "used_pct": w.get("used_pct"),
                      "reset_ts": w.get("next_reset"), "projected_pct": projection["pct"] if projection else None,
                      "runs_out_ts": _runs_out(projection)})
    return {"now": now, "block": block, "quota": quota, "relay": payload["relay"],
            "last_block": next((b for b in reversed(payload["blocks"]) if not b["isGap"]), None)}
