"""microcompact: aggressive context clearing and compactions that do not help.

Rules:
- Compaction loop: LOOP_MIN (3) or more compactions, each fewer than CLOSE_TURNS (5) model
  turns after the previous one. **warning**: the context refills as fast as it is summarised,
  and each compaction costs a full-context request plus a cold cache.
- Ineffective compaction: a compaction whose post_tokens is at least INEFFECTIVE_RATIO (0.8)
  of its pre_tokens (both known). **warning**: it freed less than a fifth of the context.
- Cleared tool results: tool results replaced by a clearing marker (Claude Code's
  "[Old tool result content cleared]"). **info** with the count; **warning** when the model
  later repeats a call (same tool, same input) whose result had been cleared: the clearing
  made it fetch the same thing again.
"""
from relay.sessions.composition import canonical
from relay.sessions.detectors.common import Locator, finding, first_lines, tool_results

NAME = "microcompact"
SEVERITY = "warning"
LOOP_MIN = 3
CLOSE_TURNS = 5
INEFFECTIVE_RATIO = 0.8
CLEARED_MARKERS = ("[Old tool result content cleared]",)


def _turns_before(session):
    """For each compaction (in file order): the number of model replies before it."""
    replies = sorted(m.line for m in session.messages if m.role == "assistant")
    compactions = sorted(session.compactions, key=lambda c: c.line)
    return [(c, sum(1 for line in replies if line < c.line)) for c in compactions]


def _loops(session, locator):
    positions = _turns_before(session)
    run = positions[:1]
    for item in positions[1:]:
        if item[1] - run[-1][1] < CLOSE_TURNS:
            run.append(item)
            continue
        yield from _loop_finding(session, locator, run)
        run = [item]
    yield from _loop_finding(session, locator, run)


def _loop_finding(session, locator, run):
    if len(run) < LOOP_MIN:
        return
    turns = run[-1][1] - run[0][1]
    yield finding(NAME, SEVERITY, session,
                  f"{len(run)} compactions within {turns} model turns: the context refills as fast as it is "
                  "summarised",
                  locator.where(line=run[0][0].line, count=len(run), lines=first_lines(c.line for c, _ in run)),
                  "something keeps flooding the context (large tool outputs, big files re-read); narrow those "
                  "calls, or start a fresh session with a short written summary")


def _ineffective(session, locator):
    for c in session.compactions:
        if not c.pre_tokens or c.post_tokens is None or c.post_tokens < INEFFECTIVE_RATIO * c.pre_tokens:
            continue
        freed = 100 * (c.pre_tokens - c.post_tokens) / c.pre_tokens
        yield finding(NAME, SEVERITY, session,
                      f"a compaction went from {c.pre_tokens:,} to {c.post_tokens:,} tokens: it freed {freed:.0f}% "
                      "of the context",
                      locator.where(line=c.line, pre_tokens=c.pre_tokens, post_tokens=c.post_tokens, trigger=c.trigger),
                      "what remains is mostly kept content (recent tool results, attachments); clear or narrow "
                      "it, or start a new session")


def _cleared(session, locator):
    cleared = [(line, tool_id) for line, tool_id, text in tool_results(session)
               if any(marker in text for marker in CLEARED_MARKERS)]
    if not cleared:
        return
    yield finding(NAME, "info", session,
                  f"{len(cleared)} tool result(s) were cleared from the context to save space",
                  locator.where(line=cleared[0][0], count=len(cleared), lines=first_lines(line for line, _ in cleared)),
                  "the model no longer sees those outputs; ask it to re-read only what it still needs")
    calls = {c.id: c for c in session.tool_calls}
    gone = {}
    for line, tool_id in cleared:
        call = calls.get(tool_id)
        if call is not None:
            gone.setdefault((call.name, canonical(call.input)), line)
    repeats = [c for c in session.tool_calls if c.line > gone.get((c.name, canonical(c.input)), c.line)]
    if repeats:
        yield finding(NAME, SEVERITY, session,
                      f"the model repeated {len(repeats)} tool call(s) whose results had been cleared",
                      locator.where(line=repeats[0].line, count=len(repeats),
                                    lines=first_lines(c.line for c in repeats)),
                      "clearing is costing more than it saves here: keep the session shorter or the outputs "
                      "smaller so the results can stay")


def detect(session):
    locator = Locator.of(session)
    return list(_loops(session, locator)) + list(_ineffective(session, locator)) + list(_cleared(session, locator))
