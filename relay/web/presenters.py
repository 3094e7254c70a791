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
        "uptime_s": round(time.time() - ctx.started_at, 3),
        "db_path": str(ctx.store.path),
        "upstream": {"anthropic": ctx.settings.upstream_anthropic},
        "counts": counts,
        "live": {"subscribers": ctx.bus.subscribers, "resets": ctx.bus.resets},
    }


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


# --- live pages: dashboard, display, history (relay.web.views gathers the inputs) -------------

PROVIDER_OF_CLI = {"claude": "anthropic", "codex": "openai", "gemini": "google"}
CONTEXT_WINDOW = 200_000   # tokens; the fill gauge is against the standard window, not 1M betas
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


def optional_section(rows):
    """A section whose data source may be absent from this build: None renders "not available"."""
    return {"available": rows is not None, "rows": list(rows or [])}


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


def live_session(row, last, composition=None, body=None, alive=None, indexed=None):
    """One /display/ card: a session (a queries.list_sessions row; requests is None when the proxy
    never saw it), its last request, the composition of its last captured turn and, for a running
    CLI, its relay.sessions.alive entry (cli, pid, cwd, connection). A running session relay never
    proxied takes its turns and composition from the session index (`indexed`, as of the last
    scan); `counted_from` says which source the numbers are from."""
    used = None
    if last is not None:
        used = sum(last.get(k) or 0 for k in ("input_tokens", "cache_read_input_tokens",
                                               "cache_creation_input_tokens"))
    running = alive is not None
    alive = alive or {}
    return {"session_id": row["session_id"], "alive": running, "cli": alive.get("cli") or "claude",
            "provider": (last or {}).get("provider") or PROVIDER_OF_CLI.get(alive.get("cli"), "anthropic"),
            "connection": alive.get("connection") or [], "via_proxy": bool(row["requests"]),
            "pid": alive.get("pid"), "cwd": alive.get("cwd"), "terminal": alive.get("terminal"),
            "turns": row["requests"] if row["requests"] is not None else (indexed or {}).get("turns"),
            "counted_from": "proxy" if row["requests"] else ("scan" if indexed else None),
            "last_seen": row["last_seen"], "models": row["models"],
            "context_tokens": used,
            "context_pct": None if used is None else round(100 * used / CONTEXT_WINDOW, 1),
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
