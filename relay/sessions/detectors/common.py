"""What the detectors share: where a message sits (line, turn), building findings, comparing text.

Detectors are pure: a Session in, Findings out; nothing here reads files or the clock.
"""
import bisect

from relay.models import Finding, memoized

MAX_LINES_LISTED = 10   # a finding that covers many lines lists the first ones only


class Locator:
    """Maps a message (or a file line) to its 0-based model turn, computed once per session.

    Built at the first question, not when a detector takes it: most sessions have no finding,
    and building it for each was most of the detectors' cost in a cold scan."""

    def __init__(self, session):
        self._session = session
        self._turn_of = None       # id(message) -> turn index
        self._first_lines = self._indexes = None

    def _build(self):
        self._turn_of = turn_of = {}
        starts = []            # (first line of turn, turn index)
        for turn in self._session.turns():
            index = turn.index
            first = 0
            for msg in turn.messages:
                turn_of[id(msg)] = index
                line = msg.line
                if line and (not first or line < first):
                    first = line
            if first:
                starts.append((first, index))
        starts.sort()
        self._first_lines = [first for first, _ in starts]
        self._indexes = [index for _, index in starts]

    @classmethod
    def of(cls, session):
        """The session's Locator, built once per `analysing` scope."""
        return memoized(session, "locator", lambda: cls(session))

    def turn(self, msg):
        if self._turn_of is None:
            self._build()
        return self._turn_of.get(id(msg))

    def turn_at_line(self, line):
        """The turn that the file line falls in (the last turn starting at or before it)."""
        if self._first_lines is None:
            self._build()
        at = bisect.bisect_right(self._first_lines, line)
        return self._indexes[at - 1] if at else None

    def where(self, msg=None, line=None, **extra):
        """`where` for a finding: the line and the turn, plus any extra keys."""
        where = {}
        line = msg.line if msg is not None and line is None else line
        if line:
            where["line"] = line
        turn = self.turn(msg) if msg is not None else (self.turn_at_line(line) if line else None)
        if turn is not None:
            where["turn"] = turn
        where.update({k: v for k, v in extra.items() if v is not None})
        return where


def finding(name, severity, session, message, where, hint):
    return Finding(detector=name, severity=severity, message=message, session_id=session.session_id,
                   where=where, hint=hint)


def normalized(text):
    """Runs of whitespace collapsed to one space, ends stripped (split() and \\s agree on what
    whitespace is, and split/join is several times faster than a regex substitution)."""
    return " ".join((text or "").split())


def first_lines(lines):
    return list(lines)[:MAX_LINES_LISTED]


def tool_blocks(session, kind):
    """(message, block) for every block of `kind` ("tool_use" or "tool_result") that has an id."""
    for msg in session.messages:
        for block in msg.blocks:
            if block.kind == kind and block.tool_id:
                yield msg, block


def answered_ids(session):
    """Ids of tool calls that got a result: a tool_result block, or a result the parser attached
    to the call itself (Gemini keeps results inside the model record). Shared within an
    `analysing` scope: read it, do not change it."""
    return memoized(session, "answered_ids", lambda: _answered_ids(session))


def _answered_ids(session):
    ids = {block.tool_id for _, block in tool_blocks(session, "tool_result")}
    ids.update(c.id for c in session.tool_calls if c.has_result)
    return ids


def tool_results(session):
    """(line, tool id, result text) of every tool result: the tool_result blocks, plus results
    the parser attached only to the call (older Gemini files have no separate result record).
    Shared within an `analysing` scope: read it, do not change it."""
    return memoized(session, "tool_results", lambda: _tool_results(session))


def _tool_results(session):
    out = [(msg.line, block.tool_id, block.text) for msg, block in tool_blocks(session, "tool_result")]
    seen = {tool_id for _, tool_id, _ in out}
    out += [(c.result_line, c.id, c.result) for c in session.tool_calls
            if c.has_result and c.id not in seen and c.result is not None]
    return out
