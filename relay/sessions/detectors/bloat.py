"""bloat: tool results too large for the context they land in.

Rule: a tool result longer than MAX_RESULT_CHARS (50,000 characters, ~12,500 tokens) is
**warning**; over ERROR_CHARS (200,000, ~50,000 tokens, a quarter of a 200k window) it is
**error**. The result stays in context and is re-sent (or re-cached) with every later request
until a compaction. One finding per result, the largest first, at most MAX_FINDINGS; one more
finding counts the rest.
"""
from relay.sessions.composition import estimate_tokens
from relay.sessions.detectors.common import Locator, finding, tool_results

NAME = "bloat"
SEVERITY = "warning"
MAX_RESULT_CHARS = 50_000
ERROR_CHARS = 200_000
MAX_FINDINGS = 20


def detect(session):
    big = sorted(((line, tool_id, len(text)) for line, tool_id, text in tool_results(session)
                  if len(text) > MAX_RESULT_CHARS), key=lambda item: -item[2])
    if not big:
        return []
    names = {c.id: c.name for c in session.tool_calls}
    where = Locator.of(session).where
    out = []
    for line, tool_id, size in big[:MAX_FINDINGS]:
        tool = names.get(tool_id)
        out.append(finding(NAME, "error" if size > ERROR_CHARS else SEVERITY, session,
                           f"{tool or 'a tool'} returned {size:,} characters (~{estimate_tokens(size):,} tokens) "
                           "into the context",
                           where(line=line, tool=tool, tool_id=tool_id, chars=size),
                           "narrow the call (a line range for reads, head/grep for commands, a limit for searches); "
                           "this output stays in context until the next compaction"))
    rest = big[MAX_FINDINGS:]
    if rest:
        chars = sum(size for _, _, size in rest)
        out.append(finding(NAME, SEVERITY, session,
                           f"{len(rest)} more tool results over {MAX_RESULT_CHARS:,} characters ({chars:,} in all)",
                           where(line=rest[0][0], count=len(rest)),
                           "narrow these calls the same way as the ones above"))
    return out
