"""Standard: tool results superseded by a later read of the same file.

Rule: a successful read of a path and range (as relay/sessions/composition.read_target sees it)
that is followed by another read of the same path and range returning different text: the file
changed, the earlier text is stale, and its tool_result content becomes a marker naming the file
and the later message. (Identical later reads are duplicate_snapshots' case.) The pair stays.
Thresholds: the stale text must be at least MIN_CHARS chars.
"""
from relay.proxy.stages.prune.edits import Context, replace_reads

NAME = "stale_tool_results"
TIER = "standard"
MIN_CHARS = 200
MARKER = ("[relay {strategy}: removed {chars} chars of an earlier read "
          "of {path}; the file changed and was read again in message {later}]")


def plan(body, ctx=None):
    return replace_reads(NAME, ctx or Context.of(body), False, MIN_CHARS, MARKER,
                         "replaced a stale read of {path} ({chars} chars)")
