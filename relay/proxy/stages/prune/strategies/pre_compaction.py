"""Gentle: leftovers from before a compaction summary.

Rule: when a user message other than the first starts with Claude Code's compaction summary
("This session is being continued from a previous conversation ..."), the user and assistant
messages before it are leftovers the summary already replaces: each is dropped whole. Claude
Code's `role: "system"` entries stay where they are.
Safety: nothing is dropped when the summary message carries tool_result blocks (it would answer
a tool_use being dropped), when a leftover is part of the turn in progress (its thinking must be
sent back), or when a leftover holds a cache_control breakpoint (the client placed its cache
there). All drops form one group: dropping only part of the history could orphan a tool_use.
Thresholds: none.
"""
from relay.proxy.stages.prune.edits import SUMMARY_PREFIX, Context, blocks_of, message_edit

NAME = "pre_compaction"
TIER = "gentle"


def _starts_summary(msg):
    content = msg.get("content")
    if isinstance(content, str):
        return content.lstrip().startswith(SUMMARY_PREFIX)
    first = next((b for b in blocks_of(msg) if isinstance(b, dict)), None)
    return bool(first and first.get("type") == "text" and (first.get("text") or "").lstrip().startswith(SUMMARY_PREFIX))


def plan(body, ctx=None):
    ctx = ctx or Context.of(body)
    msgs = ctx.messages
    convo = [i for i, m in enumerate(msgs) if m.get("role") != "system"]
    summary = next((i for i in reversed(convo[1:]) if msgs[i].get("role") == "user" and _starts_summary(msgs[i])), None)
    if summary is None or any(isinstance(b, dict) and b.get("type") == "tool_result" for b in blocks_of(msgs[summary])):
        return []
    leftovers = [i for i in convo if i < summary]
    if any(i in ctx.protected or any(isinstance(b, dict) and b.get("cache_control") for b in blocks_of(msgs[i]))
           for i in leftovers):
        return []
    group = f"{NAME}:{summary}"
    return [message_edit(NAME, body, i, f"dropped {msgs[i]['role']} message {i}, from before the compaction "
                         f"summary in message {summary}", group) for i in leftovers]
