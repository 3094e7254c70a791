"""The usage-first pass over a Claude Code file: only what `message_usage` needs, for reports.

A cold `relay report` has to read every byte of the history, and the full parser (parsers/claude.py)
builds a message, its blocks and its tool calls for every line, and the worker then runs the
detectors and the composition and saves a resumable state: about three quarters of a cold run, none
of which a report reads. This parser keeps the rows exact by keeping ClaudeParser's rules where they
touch usage (the same line pre-checks, uuid de-duplication of re-written lines, split messages
merged on message id + request id with the last usage unless it shrank, the timestamp and model of
a message's first line, the first sessionId and cwd of a conversation line) and skips the rest:
a line that mentions neither "usage" nor "assistant" cannot hold a usage row and is decoded only
while the session id or cwd is still unknown. Once both are known, a chunk is not split into
lines at all: bytes.find jumps to the next line holding `"assistant"` and only that line is cut
out and read as above, so the bulk of a history (tool results, prompts) is crossed in C. Only an
assistant record makes a row once the session id and cwd are known, and its type names it in
those bytes (a record spelling "assistant" with JSON escapes, which no CLI writes, would be
missed: the price of one search instead of two, a tenth of this pass). Lines are not numbered
(Message.line stays 0, session.stats.lines counts only the first lines): no row holds a line
number and no detector ever sees this pass's messages. Its resumable state holds no text, so it
costs little to save. tests/sessions/test_usage_first.py holds it to the full path's rows.
"""
from relay.models import Message
from relay.sessions.parsers.base import SHAPE_ERRORS, LineParser, as_dict, as_str, lead_type, top_level_at
from relay.sessions.parsers.claude import _BOOKKEEPING, _SNAPSHOT, usage_of

_CONVERSATION = frozenset({"user", "assistant", "attachment", "system"})


class ClaudeUsageParser(LineParser):
    provider = "claude"

    def __init__(self, path="", session_id=None):
        super().__init__(path, session_id)
        self._by_key = {}
        self._uuids = set()

    # Its state is small (usage fields of assistant messages, no text): an append is read alone.
    def snapshot(self):
        return {**super().snapshot(), "by_key": self._by_key, "uuids": self._uuids}

    def restore(self, data):
        super().restore(data)
        self._by_key, self._uuids = dict(data["by_key"]), set(data["uuids"])

    def feed(self, chunk):
        """As LineParser.feed, but once the session id and cwd are known only the lines that
        line() would decode are cut out of the chunk (see the module's note); splitting every
        line was a third of this pass, and most lines (and most bytes) hold no usage."""
        end = chunk.rfind(b"\n") + 1
        pos, s = 0, self.session
        while pos < end and not (s.session_id and s.cwd is not None):
            stop = chunk.index(b"\n", pos) + 1
            LineParser.feed(self, chunk[pos:stop])      # one whole line: nothing is left over
            pos = stop
        if pos < end:
            self._marked(chunk, pos, end)
        return chunk[end:]

    def _marked(self, buf, pos, end):
        find, first = buf.find, pos
        while (at := find(b'"assistant"', pos, end)) >= 0:
            # rfind gives -1 when the line starts at pos: -1 + 1 is 0, hence `or pos`
            start = buf.rfind(b"\n", pos, at) + 1 or pos
            pos = find(b"\n", at, end) + 1
            self.line(buf[start:pos - 1])
        self.offset += end - first
        self.session.stats.bytes += end - first

    def result(self):
        # session.usage (the sum over messages) is left at zero: the rows are built per message
        # (relay.sessions.usage_rows) and the sum, one Usage per message, was a tenth of this pass.
        return self.session

    def line(self, raw):
        if lead_type(raw) in _BOOKKEEPING or top_level_at(raw, _SNAPSHOT) > 0:
            return
        s = self.session
        if b'"usage"' not in raw and b'"assistant"' not in raw and s.session_id and s.cwd is not None:
            return
        obj = self.decode(raw)
        if obj is None:
            return
        kind = obj.get("type")
        if kind not in _CONVERSATION:
            return
        try:
            if not s.session_id and as_str(obj.get("sessionId")):
                s.session_id = obj["sessionId"]
            if s.cwd is None and as_str(obj.get("cwd")):
                s.cwd = obj["cwd"]
            if kind == "assistant":
                self._assistant(obj)
        except SHAPE_ERRORS:
            s.stats.bad_lines += 1

    def _assistant(self, obj):
        uuid = as_str(obj.get("uuid"))
        if uuid is not None:
            if uuid in self._uuids:
                return
            self._uuids.add(uuid)
        msg = as_dict(obj.get("message"))
        mid, rid = as_str(msg.get("id")), as_str(obj.get("requestId"))
        key = f"{mid}:{rid}" if mid and rid else mid
        usage = usage_of(msg["usage"]) if "usage" in msg else None
        index = self._by_key.get(key) if key else None
        if index is None:
            if key:
                self._by_key[key] = len(self.session.messages)
            self.session.messages.append(Message(
                role="assistant", timestamp=as_str(obj.get("timestamp")),
                model=as_str(msg.get("model")), message_id=mid, request_id=rid, usage=usage))
        else:
            target = self.session.messages[index]
            if usage is not None and (target.usage is None or usage.output_tokens >= target.usage.output_tokens):
                target.usage = usage
