"""stuck: the model repeating itself instead of making progress.

Rules (one finding per run of repeats):
- Identical replies: MIN_REPEATS (3) or more consecutive model turns whose reply text is the
  same after collapsing whitespace. Turns without reply text (tool calls only) end a run.
- Identical tool calls: MIN_REPEATS or more consecutive tool calls with the same tool name,
  the same input (compared as canonical JSON) and the same result text (or all without a
  result). A differing result means polling that progressed, which is not flagged.
Severity: **warning**; **error** from ERROR_REPEATS (6) repeats in one run.
"""
from relay.sessions.composition import canonical
from relay.sessions.detectors.common import Locator, finding, first_lines, normalized

NAME = "stuck"
SEVERITY = "warning"
MIN_REPEATS = 3
ERROR_REPEATS = 6


def _runs(items, key):
    """Maximal runs of consecutive items with equal, non-None keys, at least MIN_REPEATS long."""
    run, last = [], None
    for item in items:
        k = key(item)
        if k is not None and k == last:
            run.append(item)
            continue
        if len(run) >= MIN_REPEATS:
            yield run
        run, last = ([item], k) if k is not None else ([], None)
    if len(run) >= MIN_REPEATS:
        yield run


def _severity(count):
    return "error" if count >= ERROR_REPEATS else SEVERITY


def _replies(session):
    """(turn, its last reply message, its normalized reply text) for each model turn, in order."""
    for turn in session.turns():
        replies = [m for m in turn.messages if m.role == "assistant"]
        if replies:
            yield turn, replies[-1], normalized("\n".join(m.text for m in replies))


def _call_keys(calls):
    """(name, canonical input, result) of each call in order: the key that makes a run of calls.
    Only a call whose name and result equal a neighbour's can be in a run, so only those pay for
    the canonical JSON; the others get a placeholder, which cannot make them equal a neighbour."""
    cheap = [(c.name, c.result) for c in calls]
    keys = []
    for i, c in enumerate(calls):
        paired = (i > 0 and cheap[i - 1] == cheap[i]) or (i + 1 < len(cheap) and cheap[i + 1] == cheap[i])
        keys.append((c.name, canonical(c.input) if paired else None, c.result))
    return keys


def detect(session):
    locator = Locator.of(session)
    out = []
    for run in _runs(list(_replies(session)), lambda item: item[2] or None):
        turn, msg, text = run[0]
        preview = text if len(text) <= 80 else text[:77] + "..."
        out.append(finding(NAME, _severity(len(run)), session,
                           f"the model gave the same reply {len(run)} turns in a row: {preview!r}",
                           locator.where(msg, count=len(run), turns=[t.index for t, _, _ in run][:10]),
                           "interrupt the loop and restate the goal, or start a fresh session from a summary"))
    calls = sorted(session.tool_calls, key=lambda c: c.line)
    for keyed in _runs(list(zip(calls, _call_keys(calls))), lambda item: item[1]):
        run = [call for call, _ in keyed]
        first = run[0]
        out.append(finding(NAME, _severity(len(run)), session,
                           f"{first.name} was called {len(run)} times in a row with the same input and got the "
                           "same result each time",
                           locator.where(line=first.line, tool=first.name, count=len(run),
                                         lines=first_lines(c.line for c in run)),
                           "the model is retrying without new information: interrupt it, fix the cause the "
                           "result shows, or give it a different instruction"))
    return out
