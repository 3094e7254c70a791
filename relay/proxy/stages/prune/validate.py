"""check_request(body, original=None) -> list of problems: the Messages API rules relay must keep.

Each problem is "<rule>: <detail>"; the rule names are stable so callers can compare bodies by
rule (indices move when messages are dropped). Rules:
  shape        messages is a non-empty list of objects with a role of user, assistant or system
  empty        no empty content: a string or list must be non-empty, text blocks carry text
  first        the first non-system message is from the user
  roles        user and assistant alternate; Claude Code's mid-conversation `role: "system"`
               entries are skipped over (they stay where the client put them)
  tool_order   in a user message, tool_result blocks come before any other block
  pairing      every tool_use of an assistant message has a tool_result with its id in the next
               non-system message, which is a user message; every tool_result answers a tool_use
               of the assistant message just before
  thinking     thinking blocks of the latest assistant message carry a signature, redacted_thinking
               blocks their data; with `original`, the thinking and redacted_thinking blocks of
               the turn in progress (Context.protected) are exactly the original's
  cache        at most 4 cache_control breakpoints over tools, system and message blocks
"""
from relay.proxy.stages.prune.edits import Context, blocks_of

MAX_BREAKPOINTS = 4
ROLES = ("user", "assistant", "system")


def rule_of(problem):
    return problem.split(":", 1)[0]


def check_request(body, original=None):
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages:
        return ["shape: messages must be a non-empty list"]
    problems: list[str] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or msg.get("role") not in ROLES:
            return problems + [f"shape: message {i} is not an object with role user, assistant or system"]
        problems += _empty(i, msg)
    convo = [(i, m) for i, m in enumerate(messages) if m["role"] != "system"]
    if convo and convo[0][1]["role"] != "user":
        problems.append(f"first: the first non-system message ({convo[0][0]}) is {convo[0][1]['role']}")
    for (i, a), (j, b) in zip(convo, convo[1:]):
        if a["role"] == b["role"]:
            problems.append(f"roles: messages {i} and {j} are both {a['role']}")
    problems += _pairing(convo)
    problems += _thinking(body, original)
    count = _breakpoints(body)
    if count > MAX_BREAKPOINTS:
        problems.append(f"cache: {count} cache_control breakpoints, at most {MAX_BREAKPOINTS}")
    return problems


def _empty(i, msg):
    content = msg.get("content")
    if isinstance(content, str):
        return [] if content else [f"empty: message {i} has empty content"]
    if not isinstance(content, list) or not content:
        return [f"empty: message {i} has empty content"]
    out = []
    for j, b in enumerate(content):
        if not isinstance(b, dict) or not b.get("type"):
            out.append(f"shape: message {i} block {j} is not a typed block")
        elif b["type"] == "text" and not b.get("text"):
            out.append(f"empty: message {i} block {j} is an empty text block")
        elif b["type"] == "tool_result" and isinstance(b.get("content"), list):
            if any(isinstance(s, dict) and s.get("type") == "text" and not s.get("text") for s in b["content"]):
                out.append(f"empty: message {i} block {j} has an empty text block in its tool_result")
    return out


def _ids(msg, kind, key):
    return [b.get(key) for b in blocks_of(msg) if isinstance(b, dict) and b.get("type") == kind]


def _pairing(convo):
    out = []
    for n, (i, msg) in enumerate(convo):
        if msg["role"] == "user":
            kinds = [b.get("type") for b in blocks_of(msg) if isinstance(b, dict)]
            last = max((k for k, kind in enumerate(kinds) if kind == "tool_result"), default=-1)
            if last > 0 and any(kind != "tool_result" for kind in kinds[:last]):
                out.append(f"tool_order: message {i} has a block before one of its tool_result blocks")
            results = _ids(msg, "tool_result", "tool_use_id")
            prev = convo[n - 1][1] if n else None
            uses = set(_ids(prev, "tool_use", "id")) if prev and prev["role"] == "assistant" else set()
            for rid in results:
                if rid not in uses:
                    out.append(f"pairing: tool_result {rid} in message {i} answers no tool_use of the message before")
        elif msg["role"] == "assistant":
            uses = _ids(msg, "tool_use", "id")
            if not uses:
                continue
            nxt = convo[n + 1][1] if n + 1 < len(convo) else None
            answered = set(_ids(nxt, "tool_result", "tool_use_id")) if nxt and nxt["role"] == "user" else set()
            for uid in uses:
                if uid not in answered:
                    out.append(f"pairing: tool_use {uid} in message {i} has no tool_result in the next message")
    return out


def _thinking_blocks(messages, indices):
    return [b for i in sorted(indices) if 0 <= i < len(messages) for b in blocks_of(messages[i])
            if isinstance(b, dict) and b.get("type") in ("thinking", "redacted_thinking")]


def _thinking(body, original):
    ctx = Context.of(body, turns_only=True)
    out = []
    for b in _thinking_blocks(ctx.messages, [ctx.last_assistant]):
        if b["type"] == "thinking" and not (isinstance(b.get("signature"), str) and b["signature"]):
            out.append(f"thinking: a thinking block of message {ctx.last_assistant} has no signature")
        if b["type"] == "redacted_thinking" and not b.get("data"):
            out.append(f"thinking: a redacted_thinking block of message {ctx.last_assistant} has no data")
    if original is not None:
        before = Context.of(original, turns_only=True)
        if _thinking_blocks(ctx.messages, ctx.protected) != _thinking_blocks(before.messages, before.protected):
            out.append("thinking: the thinking blocks of the turn in progress differ from the original")
    return out


def _breakpoints(body):
    count = 0
    for key in ("tools", "system"):
        items = body.get(key)
        if isinstance(items, list):
            count += sum(1 for t in items if isinstance(t, dict) and t.get("cache_control"))
    for msg in body["messages"]:
        for b in blocks_of(msg):
            if isinstance(b, dict):
                count += bool(b.get("cache_control"))
                if b.get("type") == "tool_result" and isinstance(b.get("content"), list):
                    count += sum(1 for s in b["content"] if isinstance(s, dict) and s.get("cache_control"))
    return count
