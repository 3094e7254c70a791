"""Server-Sent Events framing, shared by the providers (reading upstream) and the web (writing).

The decoder is incremental: feed it bytes exactly as they arrive, in any split, and it returns
the events that became complete. It handles LF, CRLF and CR line ends, comments, multi-line data
and an event cut at the end of the stream (reported by `pending`).
"""
from dataclasses import dataclass


@dataclass
class Event:
    event: str | None
    data: str
    id: str | None = None


class Decoder:
    def __init__(self):
        self._buf = b""
        self._event = None
        self._data = []
        self._id = None

    def feed(self, chunk):
        self._buf += chunk
        events: list[Event] = []
        while True:
            line, sep, rest = self._next_line()
            if sep is None:
                return events
            self._buf = rest
            if not line:
                if self._data or self._event is not None:
                    events.append(Event(self._event, "\n".join(self._data), self._id))
                self._event, self._data = None, []
                continue
            self._field(line.decode("utf-8", "replace"))

    @property
    def pending(self):
        """True when the stream ended inside an event (no blank line after it)."""
        return bool(self._buf.strip() or self._data or self._event is not None)

    def _next_line(self):
        buf = self._buf
        cr, lf = buf.find(b"\r"), buf.find(b"\n")
        if cr == -1 and lf == -1:
            return None, None, buf
        if cr == -1 or (lf != -1 and lf < cr):
            return buf[:lf], b"\n", buf[lf + 1:]
        if cr == len(buf) - 1:
            return None, None, buf  # a CR at the end may be the start of CRLF: wait for more
        if buf[cr + 1:cr + 2] == b"\n":
            return buf[:cr], b"\r\n", buf[cr + 2:]
        return buf[:cr], b"\r", buf[cr + 1:]

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
