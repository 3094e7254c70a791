"""Server-Sent Events framing, shared by the providers (reading upstream) and the web (writing).

The decoder is incremental: feed it bytes exactly as they arrive, in any split, and it returns
the events that became complete. It handles LF, CRLF and CR line ends, comments, multi-line data
and an event cut at the end of the stream (reported by `pending`).
"""
import re
from dataclasses import dataclass


@dataclass
class Event:
    event: str | None
    data: str
    id: str | None = None


_LINE_END = re.compile(rb"\r\n|\r|\n")


class Decoder:
    """Linear in the bytes fed: each byte is searched once, the pieces of a line that spans many
    chunks are kept in a list and joined once when it ends (a 50 MB event costs 50 MB of work,
    not a rescan of its growing prefix at every chunk). `scanned` counts the bytes searched."""

    def __init__(self):
        self._pieces = []       # the current line, not yet ended
        self._skip_lf = False   # the last chunk ended in CR: a LF starting the next one is its CRLF
        self._event = None
        self._data = []
        self._id = None
        self.scanned = 0

    def feed(self, chunk):
        events: list[Event] = []
        start = 0
        if self._skip_lf and chunk[:1] == b"\n":
            start = 1
        if chunk:
            self._skip_lf = False
        self.scanned += len(chunk) - start
        for match in _LINE_END.finditer(chunk, start):
            piece = chunk[start:match.start()]
            if self._pieces:
                self._pieces.append(piece)
                line = b"".join(self._pieces)
                self._pieces = []
            else:
                line = piece
            start = match.end()
            self._line(line, events)
        if start < len(chunk):
            self._pieces.append(chunk[start:])
        elif chunk.endswith(b"\r"):
            self._skip_lf = True
        return events

    @property
    def pending(self):
        """True when the stream ended inside an event (no blank line after it)."""
        return bool(any(p.strip() for p in self._pieces) or self._data or self._event is not None)

    def _line(self, line, events):
        if not line:
            if self._data or self._event is not None:
                events.append(Event(self._event, "\n".join(self._data), self._id))
            self._event, self._data = None, []
            return
        self._field(line.decode("utf-8", "replace"))

    def _field(self, line):
        if line.startswith(":"):
            return
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value


def encode(data, event=None, id=None):
    """One SSE event as bytes; multi-line data becomes several data: lines."""
    out = []
    if id is not None:
        out.append(f"id: {id}")
    if event is not None:
        out.append(f"event: {event}")
    for line in str(data).split("\n"):
        out.append(f"data: {line}")
    return ("\n".join(out) + "\n\n").encode("utf-8")
