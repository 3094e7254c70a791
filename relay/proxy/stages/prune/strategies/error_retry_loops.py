"""Aggressive: error-retry loops.

Rule: a run of at least MIN_RUN consecutive exchanges where the assistant calls the same tool
once and the next user message holds only that call's tool_result, an error (is_error) with the
same text, collapses to its last exchange: the earlier assistant and user messages are dropped
in pairs (each pair one group, so a tool_use never loses its tool_result). Roles still
alternate: the run starts after a user message and the kept exchange starts with the assistant.
Safety: messages of the turn in progress (their thinking must be sent back) and messages holding
a cache_control breakpoint are never dropped; a `role: "system"` entry inside a run ends it.
Thresholds: MIN_RUN = 3 identical failures.
"""
from relay.proxy.stages.prune.edits import Context, blocks_of, message_edit

NAME = "error_retry_loops"
TIER = "aggressive"
MIN_RUN = 3


def _error_text(result):
    content = result.get("content")
    if isinstance(content, list):
        content = "\n".join(b.get("text", "") for b in content if isinstance(b, dict))
    return " ".join(str(content or "").split())


def _failure(msgs, i):
    """(tool name, error text) when messages i, i+1 are one failing call and its error, else None."""
    if i + 1 >= len(msgs) or msgs[i].get("role") != "assistant" or msgs[i + 1].get("role") != "user":
        return None
    uses = [b for b in blocks_of(msgs[i]) if isinstance(b, dict) and b.get("type") == "tool_use"]
    results = blocks_of(msgs[i + 1])
    if len(uses) != 1 or len(results) != 1 or not isinstance(results[0], dict):
        return None
    r = results[0]
    if r.get("type") != "tool_result" or not r.get("is_error") or r.get("tool_use_id") != uses[0].get("id"):
        return None
    return uses[0].get("name"), _error_text(r)


def _droppable(ctx, i):
    return i not in ctx.protected and not any(isinstance(b, dict) and b.get("cache_control")
                                              for b in blocks_of(ctx.messages[i]))


def plan(body, ctx=None):
    ctx = ctx or Context.of(body)
    msgs, edits, i = ctx.messages, [], 0
    while i < len(msgs):
        key = _failure(msgs, i)
        if key is None:
            i += 1
            continue
        run = [i]
        while _failure(msgs, run[-1] + 2) == key:
            run.append(run[-1] + 2)
        if len(run) >= MIN_RUN:
            name = key[0]
            for start in run[:-1]:
                if not (_droppable(ctx, start) and _droppable(ctx, start + 1)):
                    continue
                group = f"{NAME}:{start}"
                note = (f"dropped a failing {name} call and its error (messages {start}-{start + 1}), "
                        f"one of {len(run)} identical failures; the last, at message {run[-1]}, stays")
                edits += [message_edit(NAME, body, start, note, group),
                          message_edit(NAME, body, start + 1, note, group)]
        i = run[-1] + 2
    return edits
