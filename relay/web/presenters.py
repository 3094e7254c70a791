"""The only code that shapes view data: API, pages, SSE fragments, MCP and `relay top` use it."""
import time

from relay import __version__


def exchange(ex):
    """One recorded request as every reader shows it."""
    return ex.to_dict()


def health(ctx, counts):
    """relay's own state, from the app context (relay.web.app.Context) and the store's counts."""
    return {
        "version": __version__,
        # Monotonic: a wall-clock jump (NTP, suspend, a user changing the time) must not make
        # uptime negative or huge.
        "uptime_s": round(time.monotonic() - ctx.started_mono, 3),
        "db_path": str(ctx.store.path),
        "store": store_status(ctx.store),
        "store_pending": ctx.store.pending,
        "store_queued": ctx.store.queued,
        "history_skipped": ctx.store.skipped,
        "upstream": {name: ctx.settings[f"upstream_{name}"] for name in ("anthropic", "openai", "gemini")},
        "counts": counts,
        "live": {"subscribers": ctx.bus.subscribers, "resets": ctx.bus.resets},
    }


def store_status(store):
    """"ok", or "failing: <why>" while the database refuses writes (they wait and are retried)."""
    if store.failure is None and not store.dropped and not store.skipped:
        return "ok"
    parts = [f"failing: {store.failure}"] if store.failure else ["ok"]
    if store.pending:
        parts.append(f"{store.pending} write(s) waiting to be retried")
    if store.dropped:
        parts.append(f"{store.dropped} write(s) given up (backlog full)")
    if store.skipped:
        parts.append(f"{store.skipped} history capture(s) skipped (writer behind)")
    return "; ".join(parts)


def prune_report(rows):
    """Pruning edits per strategy and decision, with totals of what was really removed."""
    applied = [r for r in rows if r["decision"] == "applied"]
    return {
        "by_strategy": rows,
        "applied": {"edits": sum(r["edits"] for r in applied),
                    "bytes_removed": sum(r["bytes_removed"] for r in applied),
                    "tokens_removed": sum(r["tokens_removed"] for r in applied),
                    "cost_delta": round(sum(r["cost_delta"] for r in applied), 3)},
        "cost_unit": "input tokens at the model's base input price (negative saves money)",
    }


def history_turn(row):
    """One captured turn as the API and `relay history show` list it."""
    return {"index": row["turn"], "exchange_id": row["exchange_id"], "ts": row["ts"], "kind": row["kind"],
            "reason": row["reason"], "message_count": row["message_count"], "base_count": row["base_count"],
            "body_bytes": row["body_bytes"],
            "tokens": {"estimated": row["est_tokens"], "measured": row["measured_tokens"],
                       "cache_creation": row["cache_creation_tokens"]}}


def _block_summary(block):
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text":
        return {"type": kind, "chars": len(block.get("text") or ""), "preview": (block.get("text") or "")[:120]}
    if kind in ("thinking", "redacted_thinking"):
        return {"type": kind, "chars": len(block.get("thinking") or "")}
    if kind in ("tool_use", "server_tool_use"):
        return {"type": kind, "name": block.get("name"), "input": block.get("input", block.get("input_json"))}
    if kind == "tool_result":
        content = block.get("content")
        size = len(content) if isinstance(content, str) else sum(
            len(b.get("text") or "") for b in content or [] if isinstance(b, dict))
        return {"type": kind, "tool_use_id": block.get("tool_use_id"), "chars": size}
    return {"type": kind}


def history_request(turn, body, response):
    """A reconstructed turn: its messages summarised (role, blocks) and its response."""
    import json
    data = json.loads(body)
    messages = []
    for i, msg in enumerate(data.get("messages") or []):
        content = msg.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        messages.append({"index": i, "role": msg.get("role"), "blocks": [_block_summary(b) for b in blocks]})
    return {"turn": history_turn(turn), "model": data.get("model"), "body_bytes": len(body),
            "messages": messages,
            "response": None if response is None else {**response, "content": [
                _block_summary(b) for b in response.get("content") or []]}}


# --- cost (relay.costs) ----------------------------------------------------------------------

def _usd(value):
    return None if value is None else round(value, 6)


def _cost_group(group):
    return {**group, "cost": _usd(group["cost"]), "dollars": {k: _usd(v) for k, v in group["dollars"].items()}}


def cost_report(result):
    """`relay cost` and /api/v1/cost: groups, total and unpriced models. Dollars are rounded to
    a millionth; a cost of None means unpriced usage, never free."""
    import datetime

    since = result["since"]
    return {"by": result["by"], "currency": result["currency"],
            "since": None if since is None else datetime.datetime.fromtimestamp(
                since, datetime.timezone.utc).isoformat(timespec="seconds"),
            "table_date": result["table_date"], "overrides": result["overrides"], "sources": result["sources"],
            "rows": [_cost_group(g) for g in result["rows"]], "total": _cost_group(result["total"]),
            "unpriced": result["unpriced"]}


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
    elif report["estimate"]:
        headline = report["estimate"]["window"]
    return {**report, "headline": headline}


def cache_metrics(data):
    """/api/v1/cache: hit rate = cache_read / (cache_read + cache_creation + input)."""
    return {**data, "formula": "cache_read / (cache_read + cache_creation + input)"}


def ttl_metrics(data):
    """/api/v1/ttl: the cache-write TTL tier per session."""
    return data


def error_metrics(windows):
    """/api/v1/errors: per window, requests and count and rate per status class (429 apart from 4xx)."""
    return {"windows": windows}


# --- orchestration (relay.orch) --------------------------------------------------------------

def cli_status(items):
    """/api/v1/cli/status and MCP cli_status: every known CLI, installed or not. Auth is a state
    and the names of env vars / files that hold credentials, never their values."""
    return {"clis": items, "installed": [c["name"] for c in items if c["installed"]]}


def delegation(row):
    """One recorded delegation attempt."""
    return {k: row.get(k) for k in ("id", "task_id", "attempt", "ts", "task", "cli", "strategy", "cwd", "status",
                                    "exit_code", "duration_ms", "output_bytes", "input_tokens", "output_tokens",
                                    "total_tokens", "error")}


def delegation_result(result):
    """`relay delegate` and MCP cli_delegate/orch_delegate: the answer and every attempt."""
    attempts = [{**delegation(a), "stderr_tail": (a.get("stderr") or "")[-1000:]} for a in result["attempts"]]
    return {"task_id": result["task_id"], "strategy": result["strategy"], "status": result["status"],
            "cli": result["cli"], "output": result["output"], "attempts": attempts}


def delegation_stats(rows):
    """Per CLI counts, success rate and averages, plus totals."""
    out = []
    for r in rows:
        attempts = r["attempts"] or 0
        out.append({**r, "success_rate": round((r["ok"] or 0) / attempts, 3) if attempts else None,
                    "avg_duration_ms": None if r["avg_duration_ms"] is None else round(r["avg_duration_ms"], 1)})
    return {"by_cli": out, "total": {"attempts": sum(r["attempts"] for r in rows),
                                     "ok": sum(r["ok"] or 0 for r in rows)}}


# --- guard (relay.guard) ---------------------------------------------------------------------

def _guard_time(ts):
    import datetime
    return None if ts is None else datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(
        timespec="seconds").replace("+00:00", "Z")


def guard(snapshot, source, note=None):
    """`relay guard` and /api/v1/guard: the worst tier per zone, the quota zone, each session's
    context zone (most recently active first) and the alerts, with UTC times added."""
    from relay.guard import TIERS

    sessions = [{**s, "at": _guard_time(s.get("ts"))} for s in snapshot["sessions"]]
    worst_context = max((s["tier"] for s in sessions), key=TIERS.index, default="ok")
    return {"source": source, "note": note, "instance": snapshot["instance"], "thresholds": snapshot["thresholds"],
            "zones": {"quota": snapshot["quota"]["tier"], "context": worst_context},
            "quota": {**snapshot["quota"], "at": _guard_time(snapshot["quota"].get("ts"))},
            "sessions": sessions, "last_alert_id": snapshot["last_alert_id"],
            "alerts": [{**a, "at": _guard_time(a["ts"])} for a in snapshot["alerts"]]}


# --- ccusage-compatible reports (relay.costs.reports) ----------------------------------------

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


def _day(ts):
    import datetime
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d")


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
                "lastActivity": _day(group["last_ts"]), "modelsUsed": body["modelsUsed"],
                "modelBreakdowns": body["modelBreakdowns"], "projectPath": group["project"] or "Unknown Project"})
    keys = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens", "totalCost")
    totals = {k: sum(r[k] for r in rows) for k in keys}
    return {{"daily": "daily", "monthly": "monthly", "session": "sessions"}[kind]: rows, "totals": totals,
            "relay": {"unpricedModels": result["unpriced"], "pricesDate": result["table_date"],
                      "estimatedTtlTokens": sum(g["estimated_ttl_tokens"] for g in result["groups"]),
                      "cacheWrite1hTokens": sum(g["tokens"]["cache_write_1h"] for g in result["groups"])}}


def _iso_ms(ts):
    import datetime
    when = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _burn(block, now):
    """ccusage's burn rate and projection, for the active block only: input + output tokens per
    minute and dollars per hour between its first and last message, projected to its end."""
    minutes = (block["actual_end_ts"] - block["first_entry_ts"]) / 60
    if not block["active"] or minutes <= 0:
        return None, None
    tokens = block["tokens"]["input_tokens"] + block["tokens"]["output_tokens"]
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
                  "cacheCreationInputTokens": t["cache_creation_tokens"], "cacheReadInputTokens": t["cache_read_tokens"]}
        rate, projection = (None, None) if block["gap"] else _burn(block, result["now"])
        start = _iso_ms(block["start_ts"])
        out.append({"id": f"gap-{start}" if block["gap"] else start, "startTime": start,
                    "endTime": _iso_ms(block["end_ts"]),
                    "actualEndTime": None if block["gap"] else _iso_ms(block["actual_end_ts"]),
                    "isActive": block["active"], "isGap": block["gap"], "entries": block["entries"],
                    "tokenCounts": counts, "totalTokens": sum(counts.values()), "costUSD": block["cost"],
                    "models": block["models"], "burnRate": rate, "projection": projection})
    return {"blocks": out, "relay": {"unpricedModels": result["unpriced"], "pricesDate": result["table_date"]}}


# --- turns (relay.costs.turns) ---------------------------------------------------------------

def turns(items):
    """/api/v1/turns: each turn with its UTC time, tokens per kind, cost (None: unpriced, never
    0), context fill in percent of the model's window and the guard's zone for it."""
    return [{**t, "at": _guard_time(t["ts"]), "cost": _usd(t["cost"])} for t in items]


def session_turns(items):
    """/api/v1/turns/<session_id>: the turns plus the session's current zone (its latest turn's)
    and totals."""
    shaped = turns(items)
    priced = [t["cost"] for t in shaped if t["cost"] is not None]
    return {"turns": shaped, "zone": shaped[0]["zone"] if shaped else "ok",
            "context_pct": shaped[0]["context_pct"] if shaped else None,
            "total": {"turns": len(shaped), "cost": _usd(sum(priced)) if priced else None,
                      "unpriced_turns": len(shaped) - len(priced),
                      "tokens": {k: sum(t["tokens"][k] for t in shaped) for k in (shaped[0]["tokens"] if shaped else {})}}}
# --- live pages: dashboard, display, history (relay.web.views gathers the inputs) -------------

PROVIDER_OF_CLI = {"claude": "anthropic", "codex": "openai", "gemini": "google"}
PIE_PARTS = ("user_text", "assistant_text", "tool_use", "tool_result", "thinking_overhead", "system",
             "system_prompt", "tool_schemas")


def _rate(value):
    return None if value is None else round(100 * value, 1)


def summary(counts, cost, errors, cache):
    """The dashboard's headline numbers: requests and cost today, error and cache-hit rates."""
    hour = errors.get("1h") or {"requests": 0, "counts": {}}
    failed = sum(n for cls, n in hour["counts"].items() if cls != "2xx")
    return {"requests_today": counts["requests_today"], "in_flight": counts["in_flight"],
            "cost_today": _usd(cost["total"]["cost"]),
            "cost_by_model": [{"model": g["key"], "cost": _usd(g["cost"]), "requests": g["requests"]}
                              for g in cost["rows"]],
            "unpriced": [u["model"] for u in cost["unpriced"]],
            "error_rate_pct": round(100 * failed / hour["requests"], 1) if hour["requests"] else None,
            "errors_1h": failed, "requests_1h": hour["requests"],
            "cache_hit_pct": _rate(cache["global"]["hit_rate"])}


def quota_windows(report):
    """The 5h and 7d windows (measured, else the estimate) for the dashboard gauge."""
    measured = (report.get("anthropic") or {}).get("windows") or (report.get("codex") or {}).get("windows") or []
    if measured:
        return {"source": "measured", "windows": [
            {"name": w["name"], "used_pct": w.get("utilization_pct"), "reset": w.get("reset"),
             "status": w.get("status")} for w in measured]}
    estimate = report.get("estimate")
    if estimate and estimate.get("window"):
        w = estimate["window"]
        return {"source": "estimated", "windows": [{"name": w.get("name", "5h"), "used_pct": w.get("utilization_pct"),
                                                    "reset": w.get("reset"), "status": None}]}
    return {"source": None, "windows": []}


def section(data):
    """A dashboard section (a dict) whose source may be absent from this build: None renders "not
    available", never an empty success."""
    return {"available": data is not None, **(data or {})}


def delegation_history(recent, stats):
    """The dashboard's delegations: the newest attempts and the per-CLI statistics."""
    return {"recent": [delegation(r) for r in recent], "stats": delegation_stats(stats)}


def pie(percent):
    """Slices of an inline SVG pie (r=40 around 50,50) from {part: percent}; each slice carries
    its SVG path, so templates draw it and no script builds markup."""
    import math
    parts = [(name, float(percent.get(name) or 0)) for name in PIE_PARTS if (percent.get(name) or 0) > 0]
    total = sum(v for _, v in parts)
    slices, angle = [], -math.pi / 2
    for name, value in parts:
        share = value / total
        end = angle + 2 * math.pi * share
        if share >= 0.9999:
            path = None  # a full circle has no arc path; the template draws a <circle>
        else:
            x1, y1 = 50 + 40 * math.cos(angle), 50 + 40 * math.sin(angle)
            x2, y2 = 50 + 40 * math.cos(end), 50 + 40 * math.sin(end)
            large = 1 if share > 0.5 else 0
            path = f"M50,50 L{x1:.2f},{y1:.2f} A40,40 0 {large},1 {x2:.2f},{y2:.2f} Z"
        slices.append({"part": name, "percent": round(100 * share, 1), "path": path})
        angle = end
    return slices


def _prompt_text(body):
    """The last thing the person typed in a Messages request (plain text, capped), or None."""
    import json
    try:
        messages = json.loads(body).get("messages") or []
    except ValueError:
        return None
    for msg in reversed(messages):
        if msg.get("role") != "user":
            continue
        content = msg.get("content")
        texts = [content] if isinstance(content, str) else [
            b.get("text") or "" for b in content or [] if isinstance(b, dict) and b.get("type") == "text"]
        text = "\n".join(t for t in texts if t and not t.lstrip().startswith("<system-reminder>")).strip()
        if text:
            return text[:500]
    return None


def _composition(data):
    return None if not data or "percent" not in data else {"percent": data["percent"], "slices": pie(data["percent"])}


def live_session(row, last, composition=None, body=None, alive=None, indexed=None, thresholds=None):
    """One /display/ card: a session (a queries.list_sessions row; requests is None when the proxy
    never saw it), its last request, the composition of its last captured turn and, for a running
    CLI, its relay.sessions.alive entry (cli, pid, cwd, connection). A running session relay never
    proxied takes its turns and composition from the session index (`indexed`, as of the last
    scan); `counted_from` says which source the numbers are from. The context fill is against the
    window of the last request's model (relay.guard.context_window), and its tier is the guard's
    for that fill under `thresholds` (the context zone's (notice, warn, critical))."""
    from relay import guard
    used = window = pct = None
    if last is not None:
        used = sum(last.get(k) or 0 for k in ("input_tokens", "cache_read_input_tokens",
                                               "cache_creation_input_tokens"))
        window = guard.context_window(last.get("model"))
        pct = round(100 * used / window, 2)       # the guard's own rounding, so the tiers agree
    running = alive is not None
    alive = alive or {}
    return {"session_id": row["session_id"], "alive": running, "cli": alive.get("cli") or "claude",
            "provider": (last or {}).get("provider") or PROVIDER_OF_CLI.get(alive.get("cli"), "anthropic"),
            "connection": alive.get("connection") or [], "via_proxy": bool(row["requests"]),
            "pid": alive.get("pid"), "cwd": alive.get("cwd"), "terminal": alive.get("terminal"),
            "turns": row["requests"] if row["requests"] is not None else (indexed or {}).get("turns"),
            "counted_from": "proxy" if row["requests"] else ("scan" if indexed else None),
            "last_seen": row["last_seen"], "models": row["models"],
            "context_tokens": used, "context_window": window, "context_pct": None if pct is None else round(pct, 1),
            "context_tier": None if pct is None or thresholds is None else guard.tier(pct, thresholds),
            "composition": _composition(composition or (indexed or {}).get("composition") or None),
            "last_prompt": None if body is None else _prompt_text(body)}


def history_session(session_id, turns, compositions, compactions):
    """One session's replay: turns in order, each with its composition and whether a compaction
    landed on it; the timeline positions are percentages of the session's span."""
    by_turn = {c["turn"]: c["composition"] for c in compositions}
    compacted = {c["turn"]: c for c in compactions}
    first = turns[0]["ts"] if turns else 0
    span = (turns[-1]["ts"] - first) if turns else 0
    out = []
    for row in turns:
        comp = by_turn.get(row["turn"])
        out.append({**history_turn(row), "compaction": compacted.get(row["turn"]),
                    "offset_pct": round(100 * (row["ts"] - first) / span, 2) if span else 0.0,
                    "composition": None if comp is None else {"percent": comp["percent"],
                                                              "slices": pie(comp["percent"])}})
    return {"session_id": session_id, "turns": out, "compactions": compactions}
