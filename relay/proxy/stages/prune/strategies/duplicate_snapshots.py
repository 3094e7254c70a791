"""Gentle: the same file content read again, unchanged.

Rule: a successful read (Read, view, `cat <path>` ... as relay/sessions/composition.read_target
sees it) whose text is exactly the text of a later read of the same path and range: the earlier
tool_result's content becomes a short marker naming the file and the later message. The later
copy, which the model read last, stays. The tool_use/tool_result pair stays.
Thresholds: the copy must be at least MIN_CHARS chars (a marker should not outgrow what it
replaces).
"""
from relay.proxy.stages.prune.edits import Context, replace_reads

NAME = "duplicate_snapshots"
TIER = "gentle"
MIN_CHARS = 200
MARKER = ("[relay {strategy}: removed {chars} chars: this read of {path"
          "} returned the same content as the later read in message {later}]")


def plan(body, ctx=None):
    return replace_reads(NAME, ctx or Context.of(body), True, MIN_CHARS, MARKER,
                         "replaced an earlier identical read of {path} ({chars} chars)")
