"""Aggressive: mega blocks.

Rule: any text place in a user message (a text block, a string content, tool output) longer than
MAX_CHARS keeps its first HEAD_CHARS and last TAIL_CHARS (whole lines where it has line breaks)
and a marker that says how much was cut. The last message is included: a block this size is
rarely read whole. Assistant messages (the model's own words, next to signed thinking) and
Claude Code's `role: "system"` entries (client instructions) are not touched.
Thresholds: MAX_CHARS = 100,000 (about 25k tokens), HEAD_CHARS = 20,000, TAIL_CHARS = 10,000.
"""
from relay.proxy.stages.prune.text import places, trim_long

NAME = "mega_blocks"
TIER = "aggressive"
MAX_CHARS = 100_000
HEAD_CHARS = 20_000
TAIL_CHARS = 10_000


def plan(body, ctx=None):
    return trim_long(NAME, places(body), MAX_CHARS, HEAD_CHARS, TAIL_CHARS)
