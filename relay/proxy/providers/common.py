"""What the provider modules share: lenient JSON helpers and the part of a response reader that
does not depend on the wire format (state, and buffering a non-stream JSON body). Pure, no I/O."""
import json

from relay.models import Usage
from relay.proxy.sse import Decoder


def as_int(value):
    """A token count from a JSON value: numbers as they came (relay.models.validate_exchange
    clamps a negative, fractional or huge one before it is stored, and flags it), else 0."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def json_object(text):
    """The JSON object in `text` (str or bytes), or None when it is empty, invalid or not an object."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):   # RecursionError: nesting too deep
        return None
    return data if isinstance(data, dict) else None


def pick_headers(headers, prefixes, names):
    """Every header whose lower-case name starts with one of `prefixes` or is one of `names`, raw,
    keyed by that lower-case name (each provider's rate-limit headers; parsing comes later)."""
    found = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith(prefixes) or lower in names:
            found[lower] = value
    return found


class BodyReader:
    """State every provider's reader keeps, the SSE decoding loop (each event goes to
    `on_event(event)`), and a bounded buffer for a non-stream JSON body that is parsed once at
    `finish` and handed to `on_document(data)` (any JSON value). `completed` is True once the
    provider's final event was seen (SSE) or a whole JSON document was parsed; the handler flags
    a 200 stream that ends before it as cut short. `content_parts` is a list when the caller
    asked to keep the response's content (history capture), else None. `quota` holds quota
    values found in a body (a plan's usage endpoint), recorded beside the rate-limit headers."""

    MAX_JSON = 64 * 1024 * 1024  # a non-stream body larger than this is not parsed

    def __init__(self, content_type, keep_content=False):
        self.is_sse = "text/event-stream" in (content_type or "")
        self.usage = Usage()
        self.model = None
        self.message_id = None
        self.stop_reason = None
        self.error = None
        self.events = 0
        self.completed = False
        self.content_parts: list[dict] | None = [] if keep_content else None
        self.quota: dict[str, str] = {}
        self._decoder = Decoder() if self.is_sse else None
        self._body: list[bytes] | None = None if self.is_sse else []   # None once finished
        self._size = 0

    def feed(self, chunk):
        if self._decoder is not None:   # an SSE stream
            for event in self._decoder.feed(chunk):
                self.events += 1
                self.on_event(event)
        elif self._body is not None and self._size <= self.MAX_JSON:
            self._body.append(chunk)
            self._size += len(chunk)

    def finish(self):
        if self._body is not None and self._size <= self.MAX_JSON:
            try:
                data = json.loads(b"".join(self._body))
            except (ValueError, UnicodeDecodeError, RecursionError):
                data = None
            if data is not None:
                self.on_document(data)
                self.completed = True
        self._body = None

    def on_event(self, event):
        raise NotImplementedError

    def on_document(self, data):
        raise NotImplementedError
