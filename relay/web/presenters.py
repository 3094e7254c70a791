"""The only code that shapes view data: API, pages, SSE fragments, MCP and `relay top` use it."""
import time

from relay import __version__


def exchange(ex):
    """One recorded request as every reader shows it."""
    return ex.to_dict()


def health(settings, store_path, started_at, counts, upstreams):
    return {
        "version": __version__,
        "uptime_s": round(time.time() - started_at, 3),
        "db_path": str(store_path),
        "upstream": upstreams,
        "counts": counts,
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
