"""Standard: thinking blocks of old assistant turns.

Rule: thinking and redacted_thinking blocks are dropped from assistant messages that are not part
of the turn in progress (Context.protected: every assistant message after the last message the
person wrote, and the latest assistant message). The API does not need earlier turns' thinking
back; it does need the current turn's, signatures intact, so those are never touched.
Safety: a message is left alone when dropping would leave it with no blocks.
Thresholds: none; each dropped block is one edit.
"""
from relay.proxy.stages.prune.edits import DROP, Context, blocks_of, make_edit

NAME = "old_thinking"
TIER = "standard"
KINDS = ("thinking", "redacted_thinking")


def plan(body, ctx=None):
    ctx = ctx or Context.of(body)
    edits = []
    for i, msg in enumerate(ctx.messages):
        if msg.get("role") != "assistant" or i in ctx.protected:
            continue
        blocks = blocks_of(msg)
        thinking = [j for j, b in enumerate(blocks) if isinstance(b, dict) and b.get("type") in KINDS]
        if not thinking or len(thinking) == len(blocks):
            continue
        edits += [make_edit(NAME, blocks[j], None, i, j, f"dropped a {blocks[j]['type']} block "
                            f"({len(blocks[j].get('thinking') or blocks[j].get('data') or ''):,} chars) of old "
                            f"assistant message {i}", action=DROP) for j in thinking]
    return edits
