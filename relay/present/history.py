"""Captured history replayed: sessions, turns with their composition pies, one turn's messages."""
import json
import math

from relay.costs import cache_breaks, prices, series
from relay.present import cache
from relay.present.charts import context_growth
from relay.present.costs import usd
from relay.sessions import wire
from relay.store import history_queries

PIE_PARTS = ("user_text", "assistant_text", "tool_use", "tool_result", "thinking_overhead", "system",
             "system_prompt", "tool_schemas")


def history_turn(row):
    """One captured turn as the API and `relay history show` list it."""
    return {"index": row["turn"], "exchange_id": row["exchange_id"], "ts": row["ts"], "kind": row["kind"],
            "reason": row["reason"], "message_count": row["message_count"], "base_count": row["base_count"],
            "body_bytes": row["body_bytes"],
            "tokens": {"estimated": row["est_tokens"], "measured": row["measured_tokens"],
                       "cache_creation": row["cache_creation_tokens"]}}


LONG_CHARS = 1500     # content longer than this (or than LONG_LINES lines) is folded in <details>
LONG_LINES = 25


def _long(text):
    return len(text) > LONG_CHARS or text.count("\n") >= LONG_LINES


def _image(block):
    source = block.get("source") if isinstance(block.get("source"), dict) else {}
    return {"type": block.get("type"), "placeholder": True, "media_type": source.get("media_type"),
            "source_type": source.get("type"), "bytes": len(source.get("data") or "")}


def _result_parts(content):
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    parts = []
    for item in content or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "text":
            parts.append({"type": "text", "text": item.get("text") or ""})
        elif item.get("type") in ("image", "document"):
            parts.append(_image(item))
        else:
            parts.append({"type": item.get("type"), "json": json.dumps(item, ensure_ascii=False)[:LONG_CHARS]})
    return parts


def _block_summary(block):
    """One content block in full (text, thinking, tool input and result), with its size; images and
    documents as placeholders (their kind and size, never the data). Every string is shown as text."""
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text":
        body = block.get("text") or ""
        return {"type": kind, "chars": len(body), "preview": body[:120], "text": body, "long": _long(body)}
    if kind in ("thinking", "redacted_thinking"):
        body = block.get("thinking") or ""
        return {"type": kind, "chars": len(body), "text": body, "long": _long(body),
                "redacted": kind == "redacted_thinking"}
    if kind in ("tool_use", "server_tool_use"):
        value = block.get("input", block.get("input_json"))
        shown = json.dumps(value, ensure_ascii=False, indent=2) if not isinstance(value, str) else value
        return {"type": kind, "id": block.get("id"), "name": block.get("name"), "input": value,
                "input_text": shown, "chars": len(shown), "long": _long(shown)}
    if kind == "tool_result":
        parts = _result_parts(block.get("content"))
        body = "\n".join(p["text"] for p in parts if p["type"] == "text")
        return {"type": kind, "tool_use_id": block.get("tool_use_id"), "chars": len(body),
                "is_error": bool(block.get("is_error")), "content": parts, "text": body, "long": _long(body)}
    if kind in ("image", "document"):
        return _image(block)
    raw = json.dumps(block, ensure_ascii=False) if isinstance(block, dict) else repr(block)
    return {"type": kind, "json": raw[:LONG_CHARS], "chars": len(raw)}


def _system_blocks(system):
    if isinstance(system, str):
        return [_block_summary({"type": "text", "text": system})]
    return [_block_summary(b) for b in system if isinstance(b, dict)] if isinstance(system, list) else []


def history_request(turn, body, response):
    """A reconstructed turn: the system prompt, the tools offered, every message in full (role,
    blocks) and the response. Responses and Gemini bodies are shown mapped onto the Messages
    shape (relay.sessions.wire); `format` names the wire format."""
    data = wire.request_view(json.loads(body)) or {"format": None, "model": None, "system": None, "tools": [],
                                                   "messages": []}
    messages = []
    for i, msg in enumerate(data["messages"]):
        content = msg.get("content") if isinstance(msg, dict) else None
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        messages.append({"index": i, "role": msg.get("role") if isinstance(msg, dict) else None,
                         "blocks": [_block_summary(b) for b in blocks]})
    tools = [t.get("name") for t in data["tools"] if isinstance(t, dict)]
    return {"turn": history_turn(turn), "model": data["model"], "format": data["format"], "body_bytes": len(body),
            "system": _system_blocks(data["system"]), "tools": tools,
            "messages": messages,
            "response": None if response is None else {**response, "content": [
                _block_summary(b) for b in response.get("content") or []]}}


def pie(percent):
    """Slices of an inline SVG pie (r=40 around 50,50) from {part: percent}; each slice carries
    its SVG path, so templates draw it and no script builds markup."""
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


def session_replay(session_id, turns, compositions, compactions, costs=None, forensics=None):
    """One session's replay: turns in order, each with its composition, its cost (`costs`: {exchange
    id: dollars}; None unpriced) and whether a compaction landed on it; the timeline positions are
    percentages of the session's span; `chart` is the context growth per turn with the cache breaks
    of `forensics` (relay.present.cache) marked, each with its cause and cost."""
    costs = costs or {}
    breaks = {b["turn"]: {**b, "label": cache.marker_label(b)} for b in (forensics or {}).get("breaks") or []}
    by_turn = {c["turn"]: c["composition"] for c in compositions}
    compacted = {c["turn"]: c for c in compactions}
    first = turns[0]["ts"] if turns else 0
    span = (turns[-1]["ts"] - first) if turns else 0
    out = []
    for row in turns:
        comp = by_turn.get(row["turn"])
        out.append({**history_turn(row), "compaction": compacted.get(row["turn"]),
                    "offset_pct": round(100 * (row["ts"] - first) / span, 2) if span else 0.0,
                    "composition": composition(comp), "cost": usd(costs.get(row["exchange_id"])),
                    "cache_break": breaks.get(row["turn"])})
    return {"session_id": session_id, "turns": out, "compactions": compactions, "chart": context_growth(out),
            "cache": forensics}


def composition(data):
    """A stored composition with its pie slices; None when there is none to draw."""
    if not data or "percent" not in data:
        return None
    return {"percent": data["percent"], "slices": pie(data["percent"]), "tokens": data.get("tokens") or {},
            "snr": data.get("snr")}


def sessions(ctx, limit=100):
    """The sessions relay captured, newest first."""
    return ctx.store.read(lambda c: history_queries.list_history_sessions(c, limit=limit))


def session(ctx, session_id):
    """One session's replay, or None when nothing was captured for it."""
    bounds = cache.limits(ctx)

    def gather(conn):
        if not history_queries.has_session(conn, session_id):
            return None
        table = prices.load()
        return session_replay(session_id, history_queries.list_turns(conn, session_id),
                              history_queries.list_compositions(conn, session_id),
                              history_queries.list_compactions(conn, session_id),
                              series.turn_costs(conn, session_id, table),
                              cache.shaped(cache_breaks.analyse(conn, session_id, table, bounds)))
    return ctx.store.read(gather)


def turn(ctx, session_id, index):
    """One captured turn replayed: its messages (role, block summaries) and response; None when
    the session or turn was not captured."""
    def gather(conn):
        row = next((r for r in history_queries.list_turns(conn, session_id) if r["turn"] == index), None)
        if row is None:
            return None
        replay = history_request(row, history_queries.request_body(conn, session_id, index),
                                 history_queries.response(conn, session_id, index))
        return {"session_id": session_id, **replay}
    return ctx.store.read(gather)
