"""The context window of one captured request split by where it comes from, in tokens: each MCP
server's tool schemas, the built-in tools, the system prompt, the CLI's own context (reminders,
CLAUDE.md, hooks), the conversation and the tool results.

The composition (relay.sessions.composition.compose_request) counts characters; no tokenizer runs
offline and Anthropic's count_tokens is out of reach, so characters are carried to tokens by one
ratio per request, calibrated on the request itself: tokens per character = the provider's
measured prompt (input + cache read + cache write) / the request's characters, kept between
CALIBRATION bounds (a ratio outside them means the measurement covers something else, e.g. a
provider-side prompt; the bound is used). Without a measurement the ratio is 1/4.

How far to trust it: the ratio is the request's average, and parts tokenise differently (JSON
schemas denser than prose, about 3-3.5 characters per token against 4-4.5), so each part's
figure is within ERROR (+-25 %) of its true token count, and its share of the window within
the same relative error of its character share. Each tool is counted once per request (by name),
and the tool-use system prompt the provider adds once per request is never counted per tool (it
is part of the measured total, spread over every part by the ratio), which is how Claude Code's
/context comes to over-count MCP tools about 3x.
"""
from relay import jsonlite
from relay.store import queries

PART_ORDER = ("system_prompt", "system", "history", "tool_results", "builtin")
CALIBRATION = (1 / 6.5, 1 / 2.5)     # tokens per character: 2.5 to 6.5 characters per token
DEFAULT_RATIO = 0.25
ERROR = 0.25
_HISTORY = ("user_text", "assistant_text", "tool_use", "thinking_overhead")


def ratio_of(total_chars, measured):
    """Tokens per character of a request (see the module docstring)."""
    if not measured or not total_chars:
        return DEFAULT_RATIO
    low, high = CALIBRATION
    return min(max(measured / total_chars, low), high)


def window(composition, measured=None):
    """{"ratio", "window_tokens", "measured", "error", "servers": {server: {tools, chars, tokens,
    percent}}, "parts": {part: {chars, tokens, percent}}, "top": the largest MCP server or None}
    for one stored composition; None when there is none."""
    if not composition or "chars" not in composition:
        return None
    chars = composition["chars"]
    ratio = ratio_of(composition.get("total_chars") or 0, measured)
    total = measured or round((composition.get("total_chars") or 0) * ratio)
    pct = (lambda t: round(100 * t / total, 1) if total else 0.0)
    servers = {}
    builtin = {"tools": 0, "chars": 0}
    for name, entry in (composition.get("tools_by_server") or {}).items():
        if name == "builtin":
            builtin = entry
            continue
        tokens = round(entry["chars"] * ratio)
        servers[name] = {"tools": entry["tools"], "chars": entry["chars"], "tokens": tokens, "percent": pct(tokens)}
    raw = {"system_prompt": chars.get("system_prompt", 0), "system": chars.get("system", 0),
           "history": sum(chars.get(k, 0) for k in _HISTORY), "tool_results": chars.get("tool_result", 0),
           "builtin": builtin["chars"]}
    parts = {}
    for name in PART_ORDER:
        tokens = round(raw[name] * ratio)
        parts[name] = {"chars": raw[name], "tokens": tokens, "percent": pct(tokens)}
    top = max(servers.items(), key=lambda kv: kv[1]["tokens"], default=None)
    return {"ratio": round(ratio, 4), "window_tokens": total, "measured": measured or None, "error": ERROR,
            "servers": dict(sorted(servers.items(), key=lambda kv: -kv[1]["tokens"])), "parts": parts,
            "top": None if top is None else {"server": top[0], **top[1]}}


def last_window(conn, session_id):
    """The window of a session's newest captured request, or None."""
    turn = queries.last_turn(conn, session_id)
    if turn is None or not turn["composition"]:
        return None
    return window(jsonlite.loads(turn["composition"]), turn["measured_tokens"])


def top_server(attribution):
    """"linear 31 %": the MCP server taking the largest share of the window, or None."""
    top = (attribution or {}).get("top")
    return None if not top else f"{top['server']} {top['percent']:.0f} %"
