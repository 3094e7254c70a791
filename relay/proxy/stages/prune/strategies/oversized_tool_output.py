"""Standard: oversized tool output.

Rule: a text place inside a tool_result longer than MAX_CHARS keeps its first HEAD_CHARS and
last TAIL_CHARS (whole lines where the output has line breaks); the middle becomes a marker
that says how many chars and lines were cut and what was kept. The last message is left whole:
the model has not read it yet.
Thresholds: MAX_CHARS = 24,000 (about 6k tokens), HEAD_CHARS = 6,000, TAIL_CHARS = 4,000.
"""
from relay.proxy.stages.prune.text import tool_output, trim_long

NAME = "oversized_tool_output"
TIER = "standard"
MAX_CHARS = 24_000
HEAD_CHARS = 6_000
TAIL_CHARS = 4_000


def plan(body, ctx=None):
    last = len(body.get("messages") or []) - 1      # the model has not read the last message yet
    return trim_long(NAME, tool_output(body), MAX_CHARS, HEAD_CHARS, TAIL_CHARS, skip_message=last)
