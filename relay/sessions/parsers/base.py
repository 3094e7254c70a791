"""The line machinery the session parsers share: splitting, decoding, counting, resuming.

A parser is fed raw bytes and keeps everything it needs to go on in its own attributes, so a
parser snapshot() *is* the resumable state of one file: `feed()` consumes complete lines only and
hands back the partial tail, `offset` is the byte position right after the last consumed line,
and `end()` deals with the tail at EOF without consuming a line that is still being written.
Nothing here raises on bad input: undecodable lines, wrong shapes and odd bytes are counted in
`session.stats`. Line numbers are 1-based, as an editor shows them.
"""
import json

from relay.models import MAX_TOKENS, Block, Session, Usage, token_count
from relay.sessions.parsers import snapshot

_loads = json.loads
try:
    # Optional, compiled: 2-3x faster than json on these lines. The zipapp has no compiled code and
    # falls back to json; so does anything orjson refuses that json reads (ints past 64 bits, lone
    # surrogates, NaN), so both decoders give the same objects and the same counts.
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - depends on the environment
    _fast_loads = None  # type: ignore[assignment]
# What a malformed record (valid JSON, wrong shape) can raise inside a handler.
MAX_TORN_LISTED = 20     # line numbers of torn records kept in session.extra["torn_lines"]
SHAPE_ERRORS = (TypeError, AttributeError, ValueError, KeyError, IndexError, RecursionError, OverflowError)


class LineParser:
    provider = ""
    appendable = True      # False: the file is one document, re-read whole when it changes
    # True once json (never orjson) read a NaN or Infinity into this parser: orjson would write it
    # back as null, so relay.sessions.state keeps such a state in json's own encoding.
    exotic = False

    def __init__(self, path="", session_id=None):
        self.session = Session(provider=self.provider, session_id=session_id or "", path=str(path))
        self.offset = 0
        self.line_no = 0

    # --- feeding -----------------------------------------------------------------------
    def feed(self, chunk):
        """Consume the complete lines of `chunk`; return the bytes after the last newline."""
        lines = chunk.split(b"\n")
        tail = lines.pop()
        # Counted once per chunk, not per line (a handler reads line_no, never offset or the stats):
        # four attribute updates per line were a tenth of the line loop.
        consumed = len(chunk) - len(tail)
        line, no = self.line, self.line_no
        for raw in lines:
            no += 1
            if raw and not raw.isspace():
                self.line_no = no
                line(raw)
        self.line_no = no
        self.offset += consumed
        stats = self.session.stats
        stats.lines += len(lines)
        stats.bytes += consumed
        return tail

    def end(self, tail):
        """At EOF: a tail that decodes to a whole record is taken (a writer may omit the last
        newline); anything else is a line still being written and is left for the next read."""
        stats = self.session.stats
        stats.truncated_tail = False
        if not tail or tail.isspace():
            return
        try:
            whole = isinstance(_loads(tail), dict)
        except (ValueError, RecursionError):
            whole = False
        if not whole:
            stats.truncated_tail = True
            return
        self.line_no += 1
        self.offset += len(tail)
        stats.lines += 1
        stats.bytes += len(tail)
        self.line(tail)

    def result(self):
        """The Session as parsed so far (usage = sum over its merged assistant messages).
        Feeding may go on afterwards."""
        total = Usage()
        for msg in self.session.messages:
            if msg.role == "assistant" and msg.usage is not None:
                total = total + msg.usage
        self.session.usage = total
        return self.session

    # --- resumable state: plain data for relay.sessions.state (see snapshot.py) --------------
    plain = staticmethod(snapshot.plain)     # json.dumps(default=...) for what snapshot() returns

    def snapshot(self):
        """Everything `feed()` needs to go on, as JSON data (models as snapshot.plain makes them)."""
        return {"offset": self.offset, "line_no": self.line_no, "session": self.session}

    def restore(self, data):
        """The reverse of snapshot() on a fresh parser; raises on malformed data."""
        self.offset, self.line_no = data["offset"], data["line_no"]
        if type(self.offset) is not int or type(self.line_no) is not int:
            raise ValueError("not a parser state")
        self.session = snapshot.session(data["session"])

    # --- per line: a parser defines record(obj), or overrides line(raw) to sniff first ------
    def line(self, raw):
        obj = self.decode(raw)
        if obj is not None:
            try:               # guarded(), inlined: this runs once per line
                self.record(obj)
            except SHAPE_ERRORS:
                self.session.stats.bad_lines += 1

    def decode(self, raw):
        """The line's JSON object, or None (counted) when it is not one."""
        stats = self.session.stats
        if _fast_loads is not None:
            try:
                obj = _fast_loads(raw)
            except ValueError:
                pass
            else:
                if type(obj) is dict:
                    return obj
                stats.bad_lines += 1
                return None
        try:
            text = raw.decode()     # decoding first is faster than json's own bytes sniffing
        except UnicodeDecodeError:
            # One bad byte should not cost a whole tool result: decode with replacement.
            stats.non_utf8_lines += 1
            text = raw.decode("utf-8", "replace")
        try:
            obj = _loads(text, parse_constant=self._constant)
        except (ValueError, RecursionError):
            obj = None
        if type(obj) is not dict:
            stats.bad_lines += 1
            if text.startswith("{"):
                # A record cut mid-write: the tail is handled by end(), so this one sits mid-file.
                torn = self.session.extra.setdefault("torn_lines", [])
                if len(torn) < MAX_TORN_LISTED:
                    torn.append(self.line_no)
            return None
        return obj

    def loads_value(self, text):
        """Any JSON value inside a record (a tool call's arguments); raises ValueError or
        RecursionError as json does."""
        if _fast_loads is not None:
            try:
                return _fast_loads(text)
            except ValueError:
                pass
        return _loads(text, parse_constant=self._constant)

    def _constant(self, name):
        self.exotic = True
        return float(name)

    def guarded(self, handler, *args):
        """Run a record handler; a record of the wrong shape is counted, never raised."""
        try:
            handler(*args)
        except SHAPE_ERRORS:
            self.session.stats.bad_lines += 1

    # --- helpers for handlers ------------------------------------------------------------
    def seen_time(self, ts):
        if type(ts) is not str or not ts:
            return
        s = self.session
        if s.started is None or ts < s.started:
            s.started = ts
        if s.ended is None or ts > s.ended:
            s.ended = ts

    def seen_model(self, model):
        if type(model) is str and model and not model.startswith("<") and model not in self.session.models:
            self.session.models.append(model)


def lead_type(raw):
    """The value of "type" when it is the line's first key (`{"type":"x",...`), else None.

    Exact, not a guess: at that position the key can only be the top-level one."""
    if raw.startswith(b'{"type":"'):
        end = raw.find(b'"', 9, 80)
        if end > 0:
            return raw[9:end].decode("ascii", "replace")
    return None


def top_level_at(raw, needle, window=400):
    """Index of `needle` when it starts a top-level key within the first `window` bytes, else -1.

    Used to skip known-bulky records without decoding them. One `{` before the match means
    depth 1; a `{` inside a string can only raise the count, which makes us decode instead."""
    i = raw.find(needle, 0, window)
    if i > 0 and raw.count(b"{", 0, i) == 1:
        return i
    return -1


def as_dict(value):
    return value if type(value) is dict else {}


def as_list(value):
    return value if type(value) is list else []


def as_int(value):
    """A token count from a session file, as every count is stored: a non-negative int within
    relay.models.MAX_TOKENS (a file may hold 10**30 or -5; the index must still take it)."""
    if type(value) is int and 0 <= value <= MAX_TOKENS:     # nearly every count: no tuple, no second call
        return value
    return token_count(value)[0]


def as_str(value):
    return value if type(value) is str else None


def flatten_text(content, limit=64):
    """Text of a tool result or message content: a string, or a list of blocks/parts."""
    if type(content) is str:
        return content
    parts, stack = [], [content]
    while stack and limit > 0:
        item = stack.pop()
        limit -= 1
        if type(item) is str:
            parts.append(item)
        elif type(item) is list:
            stack.extend(reversed(item))
        elif type(item) is dict:
            text = item.get("text")
            if type(text) is str:
                parts.append(text)
            elif "content" in item:
                stack.append(item["content"])
            elif "output" in item:
                stack.append(item["output"])
    return "\n".join(parts)


def text_block(text):
    return Block(kind="text", text=text if type(text) is str else "")
