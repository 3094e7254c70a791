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
        "upstream": {"anthropic": ctx.settings.upstream_anthropic},
        "counts": counts,
    }


def store_status(store):
    """"ok", or "failing: <why>" while the database refuses writes (they wait and are retried)."""
    if store.failure is None and not store.dropped:
        return "ok"
    parts = [f"failing: {store.failure}"] if store.failure else ["ok"]
    if store.pending:
        parts.append(f"{store.pending} write(s) waiting to be retried")
    if store.dropped:
        parts.append(f"{store.dropped} write(s) given up (backlog full)")
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
