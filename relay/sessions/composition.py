"""Context composition of a session: what the context window is made of, turn by turn.

Every content block of the session falls in one of six categories:
  user_text          text the person typed (user messages with no `synthetic` reason)
  assistant_text     the model's reply text
  tool_use           tool calls: name + JSON input
  tool_result        tool outputs
  thinking_overhead  thinking blocks as written to the file (omitted or redacted thinking counts 0)
  system             system-role messages and every user-role text the CLI wrote itself
                     (reminders, hooks, attachments, compaction summaries, slash-command plumbing)
Images and unknown blocks count in the category of their message's text (they carry no text, so 0).

Sizes are characters, and estimated tokens = ceil(chars / 4): no tokenizer runs offline, and
English prose and code average 3.5-4.5 characters per token (JSON, base64 and CJK run denser, so
treat the estimate as +-25%). The system prompt and tool schemas are not in the session files, so
the estimate misses them; `measured_tokens` (the provider's own input + cache read + cache write
count for the turn) shows the real size next to it.

signal-to-noise ratio (snr) = (user_text + assistant_text) / all six categories, in characters,
rounded to 3 places; null for an empty session. 1.0 is pure conversation; tool output,
reminders and thinking drive it down.

Duplicate reads: a read of a file (Read, read_file, view ... or a shell `cat <one path>`) with the
same path and the same range arguments as an earlier read, returning exactly the same text. The
file did not change, so the second copy only took context space.

Per turn the dict gives what the turn added and the estimated context at that turn (everything
added since the last compaction). Sessions longer than MAX_TURNS turns are summarised: turns are
merged into at most MAX_TURNS buckets of ceil(turns / MAX_TURNS) consecutive turns, each with
its first/last turn, summed additions and the largest context and measured sizes in the
bucket. The result is plain JSON.

`compose_request(body)` applies the same categories to one Messages API request as the proxy saw
it (history capture stores it per request; Responses and Gemini bodies are first mapped onto
the Messages shape by relay.sessions.wire, and a developer or system role counts as system):
the content is mapped with the Claude Code parser's blocks_of, and each user-role block is
judged on its own (one wire message carries the typed text next to the reminders the CLI
prepended; Codex's environment and AGENTS.md messages and Gemini's session context count as
system). What only the wire shows is added: the system
prompt, and the tool schemas (JSON characters, each tool name counted once) grouped per MCP
server (tool_server: Claude Code's and Codex's `mcp__<server>…`, Gemini CLI's `mcp_<server>_<tool>`,
else "builtin"); `percent` is each part's share of the window.
"""
import json
import re
import shlex

from relay.models import Message, ToolCall
from relay.sessions.parsers.claude import _PREFIX_SYNTHETIC, blocks_of
from relay.sessions.parsers.codex import _CONTEXT_PREFIXES as _CODEX_CONTEXT

CATEGORIES = ("user_text", "assistant_text", "tool_use", "tool_result", "thinking_overhead", "system")
SIGNAL = ("user_text", "assistant_text")
MAX_TURNS = 200
MAX_DUPLICATE_FILES = 20
READ_TOOLS = frozenset({"read", "read_file", "readfile", "view", "view_file", "open_file", "cat"})
SHELL_TOOLS = frozenset({"bash", "shell", "exec_command", "run_shell_command", "local_shell", "shell_command"})
PATH_KEYS = ("file_path", "absolute_path", "path", "filename", "file")
# The first word of a command as shlex would see it, when it has no quotes or escapes (shlex's
# posix whitespace is exactly these four characters).
_FIRST_WORD = re.compile(r"[ \t\r\n]*([^ \t\r\n]*)")
_QUOTING = re.compile(r"[\"'\\]")


def estimate_tokens(chars):
    """ceil(chars / 4): see the module docstring for why and how far to trust it."""
    return -(-chars // 4)


def canonical(value):
    """A stable string for a tool input, so equal inputs compare equal whatever their key order."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def category(msg, block):
    if block.kind in ("tool_use", "tool_result"):
        return block.kind
    if block.kind == "thinking":
        return "thinking_overhead"
    if msg.role == "assistant":
        return "assistant_text"
    if msg.role == "user" and not msg.synthetic:
        return "user_text"
    return "system"


def _empty():
    return dict.fromkeys(CATEGORIES, 0)


def _add_message(chars, msg):
    for block in msg.blocks:
        chars[category(msg, block)] += block.chars


def _turn_rows(session):
    rows, context = [], 0
    compactions = sorted(c.line for c in session.compactions)
    for turn in session.turns():
        chars = _empty()
        for msg in turn.messages:
            _add_message(chars, msg)
        lines = [m.line for m in turn.messages if m.line]
        first = min(lines) if lines else None
        if first is not None and compactions and compactions[0] <= first:
            context = 0       # the compaction replaced everything before this turn
            compactions = [c for c in compactions if c > first]
        added = estimate_tokens(sum(chars.values()))
        context += added
        u = turn.usage
        measured = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens
        rows.append({"turn": turn.index, "line": first, "chars": chars, "tokens": added,
                     "context_tokens": context, "measured_tokens": measured or None})
    return rows


def _bucketed(rows):
    if len(rows) <= MAX_TURNS:
        return rows
    size = -(-len(rows) // MAX_TURNS)
    out = []
    for start in range(0, len(rows), size):
        part = rows[start:start + size]
        chars = _empty()
        for row in part:
            for name in CATEGORIES:
                chars[name] += row["chars"][name]
        measured = [r["measured_tokens"] for r in part if r["measured_tokens"]]
        out.append({"turns": [part[0]["turn"], part[-1]["turn"]], "line": part[0]["line"], "chars": chars,
                    "tokens": sum(r["tokens"] for r in part),
                    "context_tokens": max(r["context_tokens"] for r in part),
                    "measured_tokens": max(measured) if measured else None})
    return out


def _shell_text(value):
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if len(value) >= 3 and value[-2] in ("-c", "-lc"):
            return value[-1]
        return shlex.join(value)
    return value if isinstance(value, str) else None


def _may_be_cat(text):
    """False when shlex.split(text) certainly does not start with the word `cat`; a cheap test
    that spares the tokenizer almost every command. A first word without quotes or backslashes
    is taken by shlex as it stands, so only "cat" itself or a quoted first word can qualify."""
    first = _FIRST_WORD.match(text).group(1)
    return first == "cat" or _QUOTING.search(first) is not None


def read_target(call):
    """(path, range key) when the tool call reads one whole file or range, else None."""
    args = call.input if isinstance(call.input, dict) else {}
    name = (call.name or "").lower()
    if name in READ_TOOLS:
        for key in PATH_KEYS:
            if isinstance(args.get(key), str):
                rest = {k: v for k, v in args.items() if k != key}
                return args[key], canonical(rest)
        return None
    if name in SHELL_TOOLS:
        text = _shell_text(args.get("command", args.get("cmd")))
        if not text or not _may_be_cat(text):
            return None
        try:
            words = shlex.split(text)
        except ValueError:
            return None
        if len(words) == 2 and words[0] == "cat" and not words[1].startswith("-"):
            return words[1], canonical({})    # a whole-file read, like Read without a range
    return None


def duplicate_reads(session):
    return duplicate_reads_of(session.tool_calls)


def _result_text(content):
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text") or "" for b in content or [] if isinstance(b, dict) and b.get("type") == "text")


def wire_tool_calls(messages):
    """Tool calls of a Messages API request, each paired with its tool_result; `line` is the
    message's index + 1 (a request has no file lines)."""
    calls, pending = [], {}
    for index, msg in enumerate(messages or []):
        content = msg.get("content") if isinstance(msg, dict) else None
        for block in content if isinstance(content, list) else []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use":
                call = ToolCall(id=str(block.get("id") or ""), name=str(block.get("name") or ""),
                                input=block.get("input"), line=index + 1, message_index=index)
                calls.append(call)
                pending[call.id] = call
            elif block.get("type") == "tool_result" and block.get("tool_use_id") in pending:
                call = pending.pop(block["tool_use_id"])
                call.result, call.result_line = _result_text(block.get("content")), index + 1
                call.is_error = bool(block.get("is_error"))
    return calls


def duplicate_reads_of(calls):
    """Duplicate reads (see the module docstring) among tool calls paired with their results."""
    seen, files = {}, {}
    for call in sorted(calls, key=lambda c: c.line):
        target = read_target(call)
        if target is None or call.result is None or call.is_error:
            continue
        entry = files.setdefault(target[0], {"path": target[0], "reads": 0, "duplicates": 0, "chars": 0,
                                             "lines": []})
        entry["reads"] += 1
        if call.result in seen.setdefault(target, set()):
            entry["duplicates"] += 1
            entry["chars"] += len(call.result)
            entry["lines"].append(call.line)
        seen[target].add(call.result)
    dups = sorted((f for f in files.values() if f["duplicates"]), key=lambda f: (-f["duplicates"], f["path"]))
    chars = sum(f["chars"] for f in dups)
    for f in dups:
        f["lines"] = f["lines"][:10]
    return {"count": sum(f["duplicates"] for f in dups), "chars": chars, "tokens": estimate_tokens(chars),
            "files": dups[:MAX_DUPLICATE_FILES]}


def compose_session(session):
    """The composition of one session as a JSON-ready dict (see the module docstring)."""
    rows = _turn_rows(session)
    chars = _empty()
    for row in rows:      # every message falls in exactly one turn, so the turns add up to the session
        for name in CATEGORIES:
            chars[name] += row["chars"][name]
    return {**_summary(session, chars, len(rows)), "turns": _bucketed(rows)}


def compose_summary(session):
    """compose_session() without its "turns": what the index keeps. Summed over the messages
    directly (each falls in exactly one turn), it builds no per-turn rows, which were a third of
    a cold scan's analysis and were thrown away."""
    chars = _empty()
    for msg in session.messages:
        _add_message(chars, msg)
    return _summary(session, chars, len(session.turns()))


def _summary(session, chars, turn_count):
    total = sum(chars.values())
    return {
        "session_id": session.session_id,
        "provider": session.provider,
        "estimate": "tokens = ceil(chars / 4)",
        "chars": chars,
        "tokens": {name: estimate_tokens(n) for name, n in chars.items()},
        "percent": {name: round(100 * n / total, 1) if total else 0.0 for name, n in chars.items()},
        "total_chars": total,
        "total_tokens": estimate_tokens(total),
        "snr": round(sum(chars[c] for c in SIGNAL) / total, 3) if total else None,
        "duplicate_reads": duplicate_reads(session),
        "turn_count": turn_count,
        "turns_summarised": turn_count > MAX_TURNS,
    }


# User-role text the CLI writes itself, recognised by how it starts (the Claude Code parser's
# prefixes, the compaction texts that only the wire shows, and the context Codex and Gemini CLI
# send as user messages: environment, AGENTS.md and skills, the session context).
_WIRE_SYNTHETIC = (("This session is being continued from a previous conversation", "compact_summary"),
                   ("CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.", "compact_request"),
                   *((prefix, "context") for prefix in _CODEX_CONTEXT), ("<session_context>", "context"))


def synthetic_kind(text):
    """Why a user-role text on the wire was written by the CLI rather than the person (see
    _WIRE_SYNTHETIC), or None."""
    first = text.lstrip() if isinstance(text, str) else ""
    return next((name for prefix, name in _PREFIX_SYNTHETIC + _WIRE_SYNTHETIC if first.startswith(prefix)), None)


def _wire_messages(messages):
    """Models for API messages: one Message per user-role block, so each is judged alone."""
    out = []
    for raw in messages:
        if not isinstance(raw, dict):
            continue
        role = raw.get("role") if raw.get("role") in ("user", "assistant") else "system"
        blocks = blocks_of(raw.get("content"))
        if role != "user":
            out.append(Message(role=role, blocks=blocks))
            continue
        for block in blocks:
            synthetic = synthetic_kind(block.text) if block.kind == "text" else None
            out.append(Message(role="user", blocks=[block], synthetic=synthetic))
    return out


def _system_chars(system):
    if isinstance(system, str):
        return len(system)
    return sum(len(b.get("text") or "") for b in system if isinstance(b, dict)) if isinstance(system, list) else 0


def tool_server(name):
    """The MCP server of a tool by the name its CLI gives it on the wire, else "builtin":
    `mcp__<server>__<tool>` (Claude Code; Codex's flat form), `mcp__<server>` (Codex 0.169: one
    `namespace` tool holding the server's tools under their own names), `mcp_<server>_<tool>`
    (Gemini CLI 0.61). Gemini's separator is a single `_`, which server names may contain too:
    the server is read up to its first `_`, as Gemini CLI itself parses these names, so a server
    named `my_db` shows as `my` (the wire says no more; see docs/commands.md)."""
    if not isinstance(name, str):
        return "builtin"
    if name.startswith("mcp__"):
        server = name[5:].split("__", 1)[0]
    elif name.startswith("mcp_"):
        server, _, tool = name[4:].partition("_")
        server = server if tool else ""
    else:
        server = ""
    return server or "builtin"


def _tool_count(tool):
    """A Codex namespace offers the tools it holds; any other entry is one tool."""
    inner = tool.get("tools") if tool.get("type") == "namespace" else None
    return len(inner) if isinstance(inner, list) else 1


def compose_request(body):
    """The composition of one Messages API request (a parsed JSON object) as plain JSON."""
    chars = _empty()
    for msg in _wire_messages(body.get("messages") or []):
        _add_message(chars, msg)
    system = _system_chars(body.get("system"))
    servers, seen = {}, set()
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict) or tool.get("name") in seen:
            continue
        seen.add(tool.get("name"))
        entry = servers.setdefault(tool_server(tool.get("name")), {"tools": 0, "chars": 0})
        entry["tools"] += _tool_count(tool)
        entry["chars"] += len(json.dumps(tool, ensure_ascii=False))
    tools = sum(e["chars"] for e in servers.values())
    total = sum(chars.values()) + system + tools
    share = (lambda n: round(100 * n / total, 1) if total else 0.0)
    for entry in servers.values():
        entry["tokens"] = estimate_tokens(entry["chars"])
        entry["percent"] = share(entry["chars"])
    parts = {**chars, "system_prompt": system, "tool_schemas": tools}
    return {
        "estimate": "tokens = ceil(chars / 4)",
        "chars": parts,
        "tokens": {name: estimate_tokens(n) for name, n in parts.items()},
        "percent": {name: share(n) for name, n in parts.items()},
        "tools_by_server": dict(sorted(servers.items())),
        "total_chars": total,
        "total_tokens": estimate_tokens(total),
        "snr": round(sum(chars[c] for c in SIGNAL) / sum(chars.values()), 3) if sum(chars.values()) else None,
    }
