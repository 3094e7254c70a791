"""integrity: a session file whose records are damaged, out of order or inflated.

Rules:
- **error** per torn record mid-file (a line that starts a JSON object and does not decode: a
  run killed mid-write, then resumed, appended after it). The record is lost and the chain
  that `--resume` follows may be cut there; `relay recover` drops it (keeping any whole record
  written after it on the same line) and re-links the chain. The half-written last line of a
  file still being written is not a torn record. At most MAX_FINDINGS lines listed.
- **warning** when the conversation chain breaks (Claude Code): a user message, not a
  sidechain, with no parentUuid that is neither the session's first message nor the first
  message after a compaction. `--resume` follows parentUuid and loses everything before it.
- **warning** when a timestamp jumps back more than MAX_JUMP_BACK_S (60 s) behind the latest
  one seen before it in file order (sidechains apart): lines from two runs interleaved, or a
  clock that moved. The CLI's own skew (an attachment stamped a few ms before its prompt, the
  lines after a compaction) stays far below the threshold.
- **warning** for log inflation (older Claude Code layouts): lines that held a message while it
  streamed (stop_reason null) and were written again by a later line of the same message make
  more than MAX_PARTIAL_SHARE (50%) of the file's bytes, over at least MIN_PARTIAL_LINES (5)
  lines: the file is 2x or more the size of what it records.
"""
from datetime import datetime

from relay.sessions.detectors.common import Locator, finding, first_lines

NAME = "integrity"
SEVERITY = "warning"
MAX_FINDINGS = 10
MAX_JUMP_BACK_S = 60
MAX_PARTIAL_SHARE = 0.5
MIN_PARTIAL_LINES = 5


def _recover(session):
    return f"relay recover --session-id {session.session_id}"


def _torn(session):
    lines = session.extra.get("torn_lines") or []
    where = Locator.of(session).where
    return [finding(NAME, "error", session,
                    f"line {line} is a torn record (written halfway, then the file went on): that record is lost",
                    where(line=line, lines=first_lines(lines)),
                    f"run `{_recover(session)}` to drop it and re-link the conversation chain")
            for line in lines[:MAX_FINDINGS]]


def _broken_chain(session):
    if session.provider != "claude":
        return []
    main = [m for m in session.messages if not m.sidechain]
    compactions = sorted(c.line for c in session.compactions)
    out = []
    for prev, msg in zip(main, main[1:]):
        if msg.role != "user" or msg.parent_uuid is not None or msg.uuid is None:
            continue
        if any(prev.line < c < msg.line for c in compactions):
            continue
        out.append(finding(NAME, SEVERITY, session,
                           "the conversation chain breaks here: a user message with no parent in mid-session, so "
                           "`--resume` starts over from it and drops everything before",
                           Locator.of(session).where(msg, uuid=msg.uuid),
                           f"run `{_recover(session)}` or resume from a session that still holds the earlier turns"))
    return out[:MAX_FINDINGS]


def _when(stamp):
    try:
        value = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None
    return value if value is not None and value.tzinfo is not None else None


def _clock(session):
    latest, out = None, []
    for msg in session.messages:
        when = None if msg.sidechain else _when(msg.timestamp)
        if when is None:
            continue
        if latest is not None and (latest - when).total_seconds() > MAX_JUMP_BACK_S:
            back = int((latest - when).total_seconds())
            out.append(finding(NAME, SEVERITY, session,
                               f"the timestamp jumps back {back // 60} min {back % 60} s: lines of two runs are "
                               "interleaved, or the clock moved",
                               Locator.of(session).where(msg, seconds_back=back, timestamp=msg.timestamp),
                               "check that only one CLI process wrote this session; time-based reports may "
                               "misplace these turns"))
        latest = when if latest is None or when > latest else latest
    return out[:MAX_FINDINGS]


def _inflation(session):
    lines, size = session.extra.get("partial_lines") or 0, session.extra.get("partial_bytes") or 0
    total = session.stats.bytes
    if lines < MIN_PARTIAL_LINES or not total or size <= MAX_PARTIAL_SHARE * total:
        return []
    factor = total / max(total - size, 1)
    return [finding(NAME, SEVERITY, session,
                    f"{lines:,} lines ({size:,} bytes, {size / total:.0%} of the file) are partial copies of "
                    f"messages written again when they finished: the file is {factor:.1f}x what it records",
                    {"count": lines, "bytes": size, "file_bytes": total},
                    "an older Claude Code wrote these; updating it stops the growth, and the copies can be "
                    "archived away once the session is finished")]


def detect(session):
    return _torn(session) + _broken_chain(session) + _clock(session) + _inflation(session)
