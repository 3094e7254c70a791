"""Cache forensics over captured history: which request broke the prompt cache, why, and what it cost.

A provider caches a request's prefix in the order tools, system, messages, up to each
`cache_control` breakpoint. A request reads what the previous one read and wrote (its
cache_read + cache_creation), as long as the prefix it wrote is unchanged and still alive. So
for each captured request after the first, expected read = previous read + previous write; when
the measured `cache_read_input_tokens` falls short of it by at least MIN_SHORTFALL tokens (the
smallest prefix Anthropic caches; smaller gaps are noise), that request is a break, and its
cause is, checked in this order:

  model_changed     the model differs from the previous request's (caches are per model)
  ttl_expired       the gap since the previous request exceeds the TTL it wrote with (its last
                    breakpoint's `ttl`, 5m unless "1h"); a content change seen too is given as `also`
  tools_changed     the first difference is in the tools: added, removed, reordered or changed,
                    by name and MCP server (relay.sessions.composition.tool_server)
  system_changed    ... in the system prompt: which block, and a short diff around the change
  messages_edited   ... in an earlier message (which one; `compaction` when the conversation
                    was replaced by a summary or shrank, else `rewritten`)
  breakpoint_moved  no content change in the previous prefix, but the breakpoints moved so that
                    none ends where the previous request's last one did (or after it)
  unknown           none of these (e.g. the provider evicted the entry early)

Only the prefix the previous request wrote (up to its last breakpoint) is compared; markers are
ignored when comparing content, so a breakpoint moving to the newest message is no change.

Cost of a break: the tokens that were not read (the shortfall) were paid again: those within the
request's cache write at the write price of its TTL (the 5m/1h split of the write), the rest as
plain input, minus what reading them would have cost. Long-context rates apply when the prompt
exceeds the model's threshold. An unpriced model gives tokens and no dollars.

Automatic caching (Codex's OpenAI Responses bodies, Gemini and Code Assist bodies): these carry
no breakpoints and report no cache writes, only the cached part of the input
(`input_tokens_details.cached_tokens`, `cachedContentTokenCount`). The provider caches the whole
prompt it processed, so expected read = the previous request's whole prompt (input + cached);
the body is read in the wire's Messages view (relay.sessions.wire), with the system prompt
(`instructions`, `systemInstruction`, and the `developer`/`system` items that open a Responses
`input`, which is where Codex puts its instructions) first, then the tools, then the items, and
the previous request's last item taken as its one breakpoint. Causes are the same, except that
`breakpoint_moved` cannot happen and `unknown` often is the provider's own miss (OpenAI routes by
a hash of the prefix; a busy prefix overflows to other machines). Neither provider writes down a
TTL for it: OpenAI says cached prefixes usually live 5 to 10 minutes after their last use (up to
an hour off-peak; `prompt_cache_retention: "24h"` asks for a day), Google says nothing for
implicit caching; relay assumes IMPLICIT_TTL (5 minutes, the lower end of OpenAI's range, "24h"
when the request asked for it), so a break after a longer gap is `ttl_expired` and the break says
`ttl_assumed`. Cost: no write premium; the tokens not read that this request paid at the full
input price (at most its uncached input) cost input minus cached input. A session whose usage
never reports a cached token (a provider that does not cache, or does not say) is not analysed.

Findings (the forensics read the wire, and relay.sessions.detectors only sees session files, so
they live here and in `relay history cache`): `cache_breaks` when a session breaks its cache
more than Limits.breaks times, `mcp_heavy` when one MCP server takes more than Limits.mcp_share %
of the window (relay.sessions.attribution) in the session's last captured request. The limits
and the smallest break are settings (cache_breaks_limit, mcp_heavy_percent,
cache_break_min_tokens in relay.config), passed in by relay.present.cache.
"""
import difflib
import json
import os
from dataclasses import dataclass

from relay.costs.today import PER_TOKEN
from relay.sessions import wire
from relay.sessions.attribution import last_window
from relay.sessions.composition import synthetic_kind, tool_server
from relay.store import blobs, history_queries

MIN_SHORTFALL = 1024
BREAKS_LIMIT = 3
MCP_SHARE_LIMIT = 30.0
TTL_SECONDS = {"5m": 300, "1h": 3600, "24h": 86400}
DIFF_CONTEXT = 40
IMPLICIT = (wire.RESPONSES, wire.GEMINI, wire.CODE_ASSIST)
IMPLICIT_TTL = "5m"
_SYSTEM_ROLES = ("developer", "system")


@dataclass(frozen=True)
class Limits:
    """The smallest shortfall that is a break (tokens), and the findings' thresholds."""
    min_shortfall: int = MIN_SHORTFALL
    breaks: int = BREAKS_LIMIT
    mcp_share: float = MCP_SHARE_LIMIT


def _ttl(mark):
    return (mark.get("ttl") if isinstance(mark, dict) else None) or "5m"


def _bare(block):
    if not isinstance(block, dict) or "cache_control" not in block:
        return block, None
    return {k: v for k, v in block.items() if k != "cache_control"}, _ttl(block["cache_control"])


def _header_units(body):
    out = []
    for i, tool in enumerate(body.get("tools") or []):
        bare, mark = _bare(tool)
        unit = {"part": "tools", "index": i, "name": tool.get("name") if isinstance(tool, dict) else None,
                "key": json.dumps(bare, sort_keys=True, ensure_ascii=False), "mark": mark}
        inner = tool.get("tools") if isinstance(tool, dict) and tool.get("type") == "namespace" else None
        if isinstance(inner, list):     # Codex: an MCP server's tools in one namespace tool
            unit["holds"] = [t.get("name") for t in inner if isinstance(t, dict)]
        out.append(unit)
    system = body.get("system")
    blocks = [{"type": "text", "text": system}] if isinstance(system, str) else system
    for i, block in enumerate(blocks if isinstance(blocks, list) else []):
        bare, mark = _bare(block)
        out.append({"part": "system", "index": i, "name": None, "text": (bare or {}).get("text") or "",
                    "key": json.dumps(bare, sort_keys=True, ensure_ascii=False), "mark": mark})
    return out


def _message_unit(msg):
    content = msg.get("content") if isinstance(msg, dict) else None
    role = msg.get("role") if isinstance(msg, dict) else None
    marks = []
    if isinstance(content, str):    # shorthand for one text block, the same tokens (Claude Code
        content = [{"type": "text", "text": content}]      # sends a message both ways on successive turns)
    if isinstance(content, list):
        pairs = [_bare(b) for b in content]
        content, marks = [p[0] for p in pairs], [p[1] for p in pairs if p[1]]
    return {"part": "messages", "name": role, "key": json.dumps([role, content], sort_keys=True, ensure_ascii=False),
            "mark": marks[-1] if marks else None, "content": content}


def units(body):
    """An Anthropic body's cacheable prefix as units in cache order (tools, system blocks,
    messages): {"part", "index", "name", "key" (the content without markers), "mark" (the TTL of
    a breakpoint on it, else None)}."""
    return _header_units(body) + [{**_message_unit(m), "index": i} for i, m in enumerate(body.get("messages") or [])]


def _header(data):
    """(format, header, header units, implicit TTL) of a parsed body: for Anthropic the body
    without its messages; for the automatic-caching formats the wire's Messages view of its
    system prompt and tools (see the module docstring)."""
    fmt = wire.format_of(data)
    if fmt == wire.ANTHROPIC:
        header = {k: v for k, v in data.items() if k != "messages"}
        return fmt, header, _header_units(header), None
    if fmt in IMPLICIT:
        view = wire.as_messages(fmt, wire.field(data, wire.SYSTEM[fmt]), wire.field(data, wire.TOOLS[fmt]), [])
        header = {"model": data.get("model"), "system": view["system"], "tools": view["tools"]}
        ttl = "24h" if data.get("prompt_cache_retention") == "24h" else IMPLICIT_TTL
        return fmt, header, _implicit_header_units(header), ttl
    return fmt, None, None, None


def _implicit_header_units(header):
    """System blocks first, then tools: the order these providers render a prompt in."""
    head = _header_units(header)
    return [u for u in head if u["part"] == "system"] + [u for u in head if u["part"] == "tools"]


def _implicit_body(fmt, header, head_units, ttl, parsed):
    """(body, units) of an automatic-caching turn from its header and raw items (`parsed` maps
    each raw item's hash to its Messages-shaped message and unit)."""
    extra = [t for raw, _, _ in parsed for t in (raw.get("tools") or [])
             if isinstance(raw, dict) and raw.get("type") == "additional_tools" and isinstance(t, dict)] \
        if fmt == wire.RESPONSES else []
    if extra:
        header = dict(header, tools=list(header["tools"]) + extra)
        head_units = _implicit_header_units(header)
    system_count = sum(1 for u in head_units if u["part"] == "system")
    leading, out = True, []
    for i, (_, msg, unit) in enumerate(parsed):
        leading = leading and unit["name"] in _SYSTEM_ROLES
        if leading:     # Codex's instructions: developer items opening the input
            out.append({**unit, "part": "system", "index": system_count, "text": _first_text(msg.get("content"))})
            system_count += 1
        else:
            out.append({**unit, "index": i})
    us = [u for u in head_units if u["part"] == "system"] + [u for u in out if u["part"] == "system"] \
        + [u for u in head_units if u["part"] == "tools"] + [u for u in out if u["part"] == "messages"]
    if us:
        us[-1] = {**us[-1], "mark": ttl}
    return dict(header, messages=[msg for _, msg, _ in parsed]), us


def _captured(conn, session_id, rows):
    """(format, body, units) per turn, rebuilt from the store with each distinct frame and message
    parsed once: a long session re-sends the same messages every turn."""
    headers: dict = {}
    messages: dict = {}
    for row in rows:
        if row["frame"] not in headers:
            try:
                data = json.loads(history_queries.request_body(conn, session_id, row["turn"]))
            except (KeyError, ValueError):
                data = None
            headers[row["frame"]] = _header(data)
        fmt, header, head_units, ttl = headers[row["frame"]]
        if header is None:
            yield fmt, None, None
            continue
        hashes = history_queries.message_hashes(conn, session_id, row["turn"])
        for h in hashes:
            if h not in messages:
                raw = json.loads(blobs.get(conn, h))
                msg = raw if fmt == wire.ANTHROPIC else wire.message(fmt, raw)
                messages[h] = (raw, msg, _message_unit(msg))
        if fmt == wire.ANTHROPIC:
            body = dict(header, messages=[messages[h][1] for h in hashes])
            yield fmt, body, head_units + [{**messages[h][2], "index": i} for i, h in enumerate(hashes)]
        else:
            yield (fmt, *_implicit_body(fmt, header, head_units, ttl, [messages[h] for h in hashes]))


def _last_mark(us):
    return max((i for i, u in enumerate(us) if u["mark"]), default=None)


def _short_diff(old, new):
    # The common head and tail are cut first: SequenceMatcher is quadratic, and a system prompt
    # (Codex's instructions) runs to tens of thousands of characters around a one-word edit.
    head = len(os.path.commonprefix([old, new]))
    tail = len(os.path.commonprefix([old[head:][::-1], new[head:][::-1]]))
    old_mid, new_mid = old[head:len(old) - tail], new[head:len(new) - tail]
    matcher = difflib.SequenceMatcher(None, old_mid, new_mid, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            i1, i2, j1, j2 = i1 + head, i2 + head, j1 + head, j2 + head
            return {"at": i1, "before": old[max(0, i1 - DIFF_CONTEXT):i2 + DIFF_CONTEXT],
                    "after": new[max(0, j1 - DIFF_CONTEXT):j2 + DIFF_CONTEXT]}
    return {"at": None, "before": "", "after": ""}


def _tool_change(prev, cur):
    def tools(us):
        return [(u["name"], u["key"]) for u in us if u["part"] == "tools"]
    old, new = tools(prev), tools(cur)
    old_names, new_names = [n for n, _ in old], [n for n, _ in new]
    holds = {u["name"]: u["holds"] for u in prev + cur if "holds" in u}

    def named(names):
        return [{"name": n, "server": tool_server(n), **({"tools": holds[n]} if n in holds else {})} for n in names]
    added = [n for n in new_names if n not in old_names]
    removed = [n for n in old_names if n not in new_names]
    old_keys = dict(old)
    changed = [n for n, k in new if n in old_keys and old_keys[n] != k]
    kept_old = [n for n in old_names if n in new_names]
    kept_new = [n for n in new_names if n in old_names]
    detail = {"added": named(added), "removed": named(removed), "changed": named(changed),
              "reordered": kept_old != kept_new}
    servers = sorted({t["server"] for t in detail["added"] + detail["removed"] + detail["changed"]})
    words = [f"+{', +'.join(added)}" if added else "", f"-{', -'.join(removed)}" if removed else "",
             f"changed {', '.join(changed)}" if changed else "", "reordered" if detail["reordered"] else ""]
    detail["servers"] = servers
    return detail, "tools " + "; ".join(w for w in words if w)


def _first_text(content):
    if isinstance(content, str):
        return content
    blocks = content if isinstance(content, list) else []
    return next((b.get("text") for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str)), "")


def _message_change(pu, cu, prev_body, cur_body):
    index = pu["index"]
    old_count, new_count = len(prev_body.get("messages") or []), len(cur_body.get("messages") or [])
    first = (cur_body.get("messages") or [{}])[0]
    if synthetic_kind(_first_text(first.get("content") if isinstance(first, dict) else None)) == "compact_summary" \
            or new_count < old_count:
        kind = "compaction"
    else:
        kind = "rewritten"
    detail = {"message": index, "role": pu["name"], "kind": kind, "messages_before": old_count,
              "messages_after": new_count}
    if kind == "rewritten" and cu is not None:
        detail["diff"] = _short_diff(_first_text(pu.get("content")), _first_text(cu.get("content")))
    return detail, f"message {index} ({pu['name']}) {kind}"


def first_difference(prev_body, cur_body, prev_units=None, cur_units=None):
    """(cause, detail, summary) of the first content difference in the prefix the previous body
    wrote, or None when that prefix is unchanged."""
    prev = prev_units if prev_units is not None else units(prev_body)
    cur = cur_units if cur_units is not None else units(cur_body)
    end = _last_mark(prev)
    if end is None:
        return None
    for i in range(end + 1):
        pu = prev[i]
        cu = cur[i] if i < len(cur) else None
        if cu is not None and cu["part"] == pu["part"] and cu["key"] == pu["key"]:
            continue
        if pu["part"] == "tools" or (cu is not None and cu["part"] == "tools"):
            detail, summary = _tool_change(prev, cur)
            return "tools_changed", detail, summary
        if pu["part"] == "system" or (cu is not None and cu["part"] == "system"):
            old = pu.get("text") or ""
            new = cu.get("text") or "" if cu is not None and cu["part"] == "system" else ""
            return ("system_changed", {"block": pu["index"], "diff": _short_diff(old, new)},
                    f"system block {pu['index']} changed")
        same = cu if cu is not None and cu["part"] == "messages" else None
        detail, summary = _message_change(pu, same, prev_body, cur_body)
        return "messages_edited", detail, summary
    return None


def _moved(prev, cur):
    """True when no breakpoint of the current body ends at or after where the previous one's
    last breakpoint did, or the earlier breakpoints changed place."""
    end = _last_mark(prev)
    marks_prev = [i for i, u in enumerate(prev) if u["mark"]]
    marks_cur = [i for i, u in enumerate(cur) if u["mark"]]
    if end is None:
        return False
    return not any(i >= end for i in marks_cur) or [i for i in marks_cur if i < end] != marks_prev[:-1]


def break_cost(row, tokens, price):
    """(dollars or None, ttl) of `tokens` not read by the request `row` (see the module docstring)."""
    creation = row["cache_creation_input_tokens"] or 0
    rewritten = min(tokens, creation)
    plain = tokens - rewritten
    split_1h = row["cache_creation_1h_input_tokens"] or 0
    share_1h = split_1h / creation if creation else 0.0
    ttl = "1h" if share_1h >= 0.5 else "5m"
    if price is None:
        return None, ttl
    prompt = (row["input_tokens"] or 0) + (row["cache_read_input_tokens"] or 0) + creation
    rates = price.long if price.long is not None and prompt > price.threshold else price.base
    write = (1 - share_1h) * rates.cache_write_5m + share_1h * rates.cache_write_1h
    dollars = (rewritten * (write - rates.cache_read) + plain * (rates.input - rates.cache_read)) / PER_TOKEN
    return dollars, ttl


def classify(prev, cur, prev_body, cur_body, prev_units=None, cur_units=None):
    """(cause, detail, summary) of a break between two captured requests (rows of turn_usage
    with parsed bodies)."""
    if prev["model"] and cur["model"] and prev["model"] != cur["model"]:
        return "model_changed", {"before": prev["model"], "after": cur["model"]}, \
            f"model {prev['model']} -> {cur['model']}"
    pu = prev_units if prev_units is not None else units(prev_body)
    cu = cur_units if cur_units is not None else units(cur_body)
    change = first_difference(prev_body, cur_body, pu, cu)
    end = _last_mark(pu)
    ttl = pu[end]["mark"] if end is not None else "5m"
    gap = cur["ts"] - prev["ts"]
    if gap > TTL_SECONDS.get(ttl, 300):
        detail = {"gap_s": round(gap, 1), "ttl": ttl}
        if change:
            detail["also"] = {"cause": change[0], **change[1]}
        return "ttl_expired", detail, f"{gap / 60:.1f} min since the last request, past the {ttl} TTL"
    if change:
        return change
    if _moved(pu, cu):
        return "breakpoint_moved", {"before": [i for i, u in enumerate(pu) if u["mark"]],
                                    "after": [i for i, u in enumerate(cu) if u["mark"]]}, \
            "breakpoints moved, content unchanged"
    return "unknown", {}, "no change found in the cached prefix"


def _expected(prev, fmt):
    """What the request after `prev` should read: what `prev` read and wrote, or under automatic
    caching its whole prompt."""
    expected = (prev["cache_read_input_tokens"] or 0) + (prev["cache_creation_input_tokens"] or 0)
    return expected + (prev["input_tokens"] or 0) if fmt in IMPLICIT else expected


def analyse(conn, session_id, table, limits=None):
    """Every cache break of a captured session, with totals, the window of its last request split
    by MCP server, and the findings (see the module docstring). None when nothing was captured."""
    limits = limits or Limits()
    rows = history_queries.turn_usage(conn, session_id)
    if not rows:
        return None
    reports_cache = any((r["cache_read_input_tokens"] or 0) > 0 for r in rows)
    breaks, skipped = [], 0
    prev = prev_body = prev_units = None
    for row, (fmt, body, cur_units) in zip(rows, _captured(conn, session_id, rows)):
        implicit = fmt in IMPLICIT
        if body is None or row["model"] is None or (implicit and not reports_cache):
            skipped += 1
            prev = prev_body = prev_units = None
            continue
        if prev is not None:
            expected = _expected(prev, fmt)
            shortfall = expected - (row["cache_read_input_tokens"] or 0)
            if shortfall >= limits.min_shortfall:
                cause, detail, summary = classify(prev, row, prev_body, body, prev_units, cur_units)
                price = table.lookup(row["model"]) if row["model"] else None
                paid = min(shortfall, row["input_tokens"] or 0) if implicit else shortfall
                dollars, ttl = break_cost(row, paid, price)
                if implicit:
                    ttl = prev_units[-1]["mark"] if prev_units else IMPLICIT_TTL
                    if cause == "ttl_expired":
                        detail["ttl_assumed"] = True
                breaks.append({"turn": row["turn"], "exchange_id": row["exchange_id"], "ts": row["ts"],
                               "cause": cause, "summary": summary, "detail": detail, "expected_read": expected,
                               "cache_read": row["cache_read_input_tokens"] or 0,
                               "cache_write": row["cache_creation_input_tokens"] or 0,
                               "tokens": shortfall, "ttl": ttl, "dollars": dollars,
                               "caching": "automatic" if implicit else "breakpoints"})
        prev, prev_body, prev_units = row, body, cur_units
    attribution = last_window(conn, session_id)
    priced = [b["dollars"] for b in breaks if b["dollars"] is not None]
    return {"session_id": session_id, "turns": len(rows), "not_analysed": skipped, "breaks": breaks,
            "totals": {"breaks": len(breaks), "tokens": sum(b["tokens"] for b in breaks),
                       "dollars": sum(priced) if priced else (None if breaks else 0.0),
                       "by_cause": _by_cause(breaks)},
            "window": attribution, "findings": findings(breaks, attribution, limits.breaks, limits.mcp_share),
            "thresholds": {"min_shortfall": limits.min_shortfall, "breaks": limits.breaks,
                           "mcp_share": limits.mcp_share}}


def _by_cause(breaks):
    out: dict = {}
    for b in breaks:
        entry = out.setdefault(b["cause"], {"breaks": 0, "tokens": 0})
        entry["breaks"] += 1
        entry["tokens"] += b["tokens"]
    return out


def findings(breaks, attribution, breaks_limit=BREAKS_LIMIT, share_limit=MCP_SHARE_LIMIT):
    out = []
    if len(breaks) > breaks_limit:
        out.append({"kind": "cache_breaks", "severity": "warning",
                    "message": f"the cache broke {len(breaks)} times (more than {breaks_limit}), "
                               f"{sum(b['tokens'] for b in breaks)} tokens re-written",
                    "evidence": {"breaks": len(breaks), "turns": [b["turn"] for b in breaks][:20]}})
    top = (attribution or {}).get("top")
    if top and top["percent"] > share_limit:
        out.append({"kind": "mcp_heavy", "severity": "warning",
                    "message": f"MCP server {top['server']} takes {top['percent']} % of the window "
                               f"(more than {share_limit:g} %), {top['tokens']} tokens in {top['tools']} tools",
                    "evidence": top})
    return out
