"""Fuzz properties of the provider stream parsers, shared by the CI tests (seconds, see
test_fuzz_streams.py) and bench/fuzz.py (minutes). Each property is a plain function over drawn
data, plus the strategy that draws it.

- sse.Decoder: arbitrary bytes in any split never raise, and the events do not depend on the split.
- anthropic.ResponseReader: arbitrary bytes, and real event streams with mutated JSON (wrong types
  where dicts, strings and ints belong), never raise in feed() or finish(); usage does not depend
  on the split.
"""
import json

from hypothesis import strategies as st

from relay.proxy import sse
from relay.proxy.providers import anthropic
from tests.fake_upstream import message, stream_events

REAL = b"".join(stream_events(message("claude-opus-5-5", [{"type": "text", "text": "hello there"},
                                                           {"type": "tool_use", "id": "t1", "name": "Bash",
                                                            "input": {}}], "tool_use")))
ODD = st.one_of(st.none(), st.booleans(), st.integers(-2**64, 2**64), st.floats(allow_nan=True), st.text(max_size=8),
                st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
FIELDS = ["type", "message", "delta", "usage", "error", "content_block", "index", "stop_reason", "input_tokens",
          "output_tokens", "cache_creation", "id", "model", "content", "output_tokens_details"]
TYPES = ["message_start", "message_delta", "message_stop", "content_block_start", "content_block_delta",
         "content_block_stop", "error", "ping", "message"]


def splits(data, cuts):
    points = sorted({int(c * len(data)) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


def _events(data, cuts):
    decoder = sse.Decoder()
    out = []
    for piece in splits(data, cuts):
        out += decoder.feed(piece)
    return out, decoder.pending


def decoder_split_invariant(data, cuts):
    assert _events(data, cuts) == _events(data, [])


def _read(data, cuts, content_type):
    reader = anthropic.ResponseReader(content_type, keep_content=True)
    for piece in splits(data, cuts):
        reader.feed(piece)
    reader.finish()
    return (reader.usage, reader.model, reader.message_id, reader.stop_reason, reader.error, reader.completed)


def reader_never_raises(data, cuts, content_type):
    assert _read(data, cuts, content_type) == _read(data, [], content_type)


@st.composite
def mutated_stream(draw):
    """The real event sequence with some events' JSON replaced by hostile shapes."""
    events = REAL.split(b"\n\n")
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(events) - 1))
        payload = draw(st.dictionaries(st.sampled_from(FIELDS), ODD | st.sampled_from(TYPES), max_size=5))
        payload["type"] = draw(st.sampled_from(TYPES) | ODD)
        nested = st.sampled_from(["message", "delta", "usage", "error", "content_block"])
        if draw(st.booleans()):   # a container where relay expects one, holding odd values
            payload[draw(nested)] = {draw(st.sampled_from(FIELDS)): draw(ODD | st.sampled_from(TYPES)),
                                     "usage": draw(ODD), "cache_creation": draw(ODD), "error": draw(ODD)}
        if draw(st.booleans()):   # a scalar or list where relay expects a container
            payload[draw(nested)] = draw(ODD)
        events[i] = b"event: x\ndata: " + json.dumps(payload, allow_nan=True).encode()
    return b"\n\n".join(events)


arbitrary_bytes = st.binary(max_size=2000) | st.sampled_from([REAL]).map(bytearray).flatmap(
    lambda b: st.lists(st.tuples(st.integers(0, len(b) - 1), st.integers(0, 255)), max_size=10).map(
        lambda flips: bytes(_flip(b, flips))))


def _flip(data, flips):
    data = bytearray(data)
    for i, v in flips:
        data[i] = v
    return data


cut_points = st.lists(st.floats(0, 1), max_size=8)
content_types = st.sampled_from(["text/event-stream; charset=utf-8", "application/json", None, ""])
