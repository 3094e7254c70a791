"""orphan: tool calls and tool results that lost their other half.

Rule: tool_use and tool_result blocks are paired by tool id across the whole session file
(subagent sessions are checked on their own); a result the parser attached to the call itself
(Gemini) counts as its tool_result.
- A tool_use whose id never gets a tool_result, with an assistant message after it: **error**.
  The provider API rejects such a history ("tool_use ids were found without tool_result
  blocks"), so resuming fails until it is repaired.
- The same at the end of the session (no assistant message after it): **warning**. The run
  stopped while the tool ran (crash, kill, closed terminal), or the CLI is still running it.
- A tool_result whose id matches no tool_use: **error** (the API rejects "unexpected
  tool_use_id"), or **warning** when a compaction precedes it, since the call may have been
  summarised away.
Thresholds: none; one finding per orphan, at most MAX_FINDINGS per session.
"""
from relay.sessions.detectors.common import Locator, answered_ids, finding, tool_blocks

NAME = "orphan"
SEVERITY = "error"
MAX_FINDINGS = 50


def detect(session):
    uses = list(tool_blocks(session, "tool_use"))
    results = list(tool_blocks(session, "tool_result"))
    answered = answered_ids(session)
    used = {block.tool_id for _, block in uses}
    where = Locator.of(session).where
    recover = f"relay recover --session-id {session.session_id}"
    last_reply = max((m.line for m in session.messages if m.role == "assistant"), default=0)
    first_compaction = min((c.line for c in session.compactions), default=None)
    out = []
    for msg, block in uses:
        if block.tool_id in answered:
            continue
        label = f"{block.name or 'tool'} call {block.tool_id}"
        spot = where(msg, tool_id=block.tool_id, tool=block.name)
        if msg.line < last_reply:
            out.append(finding(NAME, SEVERITY, session,
                               f"{label} has no tool_result, yet the conversation went on: the API rejects "
                               "this history", spot,
                               f"run `{recover}` to add an error result for it, then resume"))
        else:
            out.append(finding(NAME, "warning", session,
                               f"the session ends at {label} with no tool_result: the run stopped while the "
                               "tool ran", spot,
                               f"if the CLI is no longer running this session, run `{recover}` before resuming"))
    for msg, block in results:
        if block.tool_id in used:
            continue
        compacted = first_compaction is not None and msg.line > first_compaction
        out.append(finding(NAME, "warning" if compacted else SEVERITY, session,
                           f"tool_result for {block.tool_id} has no matching tool_use"
                           + (" (a compaction before it may have dropped the call)" if compacted else ""),
                           where(msg, tool_id=block.tool_id),
                           f"run `{recover}`; if resuming still fails with 'unexpected tool_use_id', "
                           "continue from the last turn before this line"))
    return out[:MAX_FINDINGS]
