"""What the provider modules share: lenient JSON helpers and the part of a response reader that
does not depend on the wire format (state, and buffering a non-stream JSON body). Pure, no I/O."""
import json

from relay.models import Usage


def as_int(value):
    """A token count from a JSON value: ints as they are, anything else 0 (never a crash)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def json_object(text):
    """The JSON object in `text` (str or bytes), or None when it is empty, invalid or not an object."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


class BodyReader:
    """State every provider's reader keeps, and a bounded buffer for a non-stream JSON body that
    is parsed once at `finish` and handed to `on_document(data)` (any JSON value). `completed` is True once the
    provider's final event was seen (SSE) or a whole JSON document was parsed; the handler flags
    a 200 stream that ends before it as cut short."""

    MAX_JSON = 64 * 1024 * 1024  # a non-stream body larger than this is not parsed

    def __init__(self, content_type):
        self.is_sse = "text/event-stream" in (content_type or "")
        self.usage = Usage()
        self.model = None
        self.message_id = None
        self.stop_reason = None
        self.error = None
        self.events = 0
        self.completed = False
        self.content_parts = None
        self._body = None if self.is_sse else []
        self._size = 0

    def keep(self, chunk):
        if self._size <= self.MAX_JSON:
            self._body.append(chunk)
            self._size += len(chunk)

    def finish(self):
        if self._body is not None and self._size <= self.MAX_JSON:
            try:
                data = json.loads(b"".join(self._body))
            except (ValueError, UnicodeDecodeError):
                data = None
            if data is not None:
                self.on_document(data)
                self.completed = True
        self._body = None

    def on_document(self, data):
        raise NotImplementedError
