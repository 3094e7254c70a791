"""resume: resumptions that start from a broken history, and files that will break the next one.

Rules:
- Resumed after an unanswered tool call: a resumed run starts (a line in `Session.resumes`)
  while the last model turn before it holds a tool_use that is never answered anywhere in the
  file. **error**: every request of the resumed run carries the invalid history.
- Unparseable lines in a resumed session: the file was resumed and has lines that do not
  parse. **warning**: a run killed mid-write leaves a torn line, and the resumed run appends
  after it, so the torn record (often a tool result) is lost.
- Torn last line: the file ends in an incomplete record. **warning**: the CLI died mid-write or
  is still writing; resuming now appends after the broken line.
- Gemini resume stub: a Gemini file with no model reply and no prompt typed by the person
  (only restored context), the copy `gemini --resume` leaves beside the original. **info**.
Thresholds: none; at most one finding per resume point and per rule.
"""
from relay.sessions.detectors.common import Locator, answered_ids, finding

NAME = "resume"
SEVERITY = "error"


def _unanswered_before_resumes(session, locator):
    answered = answered_ids(session)
    replies = [m for m in session.messages if m.role == "assistant"]
    for start in session.resumes:
        before = [m for m in replies if m.line < start]
        if not before:
            continue
        last = before[-1]
        dangling = [b for b in last.blocks if b.kind == "tool_use" and b.tool_id and b.tool_id not in answered]
        if dangling:
            ids = ", ".join(b.tool_id for b in dangling)
            yield finding(NAME, SEVERITY, session,
                          f"the run resumed at line {start} continues a history that ends at an unanswered tool "
                          f"call ({ids}, line {last.line}): requests of the resumed run can be rejected",
                          locator.where(last, resumed_at=start, tool_ids=[b.tool_id for b in dangling]),
                          f"run `relay recover --session-id {session.session_id}` to answer the call with an error "
                          "result, then resume again")


def _stub(session):
    if session.provider != "gemini" or not session.messages:
        return False
    if any(m.role == "assistant" for m in session.messages):
        return False
    return not any(m.role == "user" and not m.synthetic for m in session.messages)


def detect(session):
    locator = Locator.of(session)
    out = list(_unanswered_before_resumes(session, locator))
    stats = session.stats
    if session.resumes and stats.bad_lines:
        out.append(finding(NAME, "warning", session,
                           f"{stats.bad_lines} unreadable line(s) in a session resumed at line "
                           f"{session.resumes[0]}: likely a record torn when an earlier run was killed mid-write, "
                           "which the resumed run then lost",
                           locator.where(line=session.resumes[0], bad_lines=stats.bad_lines),
                           f"run `relay recover --session-id {session.session_id}` to drop or salvage the broken "
                           "lines and keep the rest resumable"))
    if stats.truncated_tail:
        out.append(finding(NAME, "warning", session,
                           "the file ends in an incomplete line: the CLI stopped mid-write, or is still writing",
                           locator.where(line=stats.lines + 1),
                           "if the CLI is not running this session, run "
                           f"`relay recover --session-id {session.session_id}` before resuming it"))
    if _stub(session):
        out.append(finding(NAME, "info", session,
                           "a Gemini resume stub: restored context only, no prompt and no reply of its own",
                           {"line": 1},
                           "`gemini --resume` left it beside the original file of this session id; the "
                           "conversation continues there, so this file can be ignored or deleted"))
    return out
