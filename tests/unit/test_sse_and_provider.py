"""The pure parts of the proxy: SSE framing and what is read from Anthropic traffic."""
import json

import pytest
from hypothesis import given, strategies as st

from relay.proxy.providers import anthropic
from relay.proxy.sse import Decoder, encode
from tests.fake_upstream import message, stream_events

STREAM = b"".join(stream_events(message("claude-opus-5-5", [{"type": "text", "text": "hello there"}], "end_turn")))


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM)), max_size=20))
def test_decoder_gives_same_events_for_any_split(cuts):
    whole = Decoder().feed(STREAM)
    decoder, events, last = Decoder(), [], 0
    for cut in sorted(set(cuts)) + [len(STREAM)]:
        events += decoder.feed(STREAM[last:cut])
        last = cut
    assert events == whole and not decoder.pending
    assert [e.event for e in whole][:2] == ["message_start", "ping"]


def test_decoder_line_ends_comments_and_cut_event():
    decoder = Decoder()
    events = decoder.feed(b": keepalive\r\nevent: a\r\ndata: 1\r\ndata: 2\r\n\r\nid: 7\rdata: x\r\rdata: cut")
    assert [(e.event, e.data, e.id) for e in events] == [("a", "1\n2", None), (None, "x", "7")]
    assert decoder.pending


def test_encode_round_trips_multiline():
    [event] = Decoder().feed(encode("line1\nline2", event="tick", id=3))
    assert (event.event, event.data, event.id) == ("tick", "line1\nline2", "3")


def test_stream_usage_is_counted_once_from_start_and_delta():
    reader = anthropic.ResponseReader("text/event-stream")
    for i in range(0, len(STREAM), 7):
        reader.feed(STREAM[i:i + 7])
    reader.finish()
    u = reader.usage
    assert (u.input_tokens, u.output_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens) == (12, 7, 1500, 3000)
    assert (u.cache_creation_5m_input_tokens, u.cache_creation_1h_input_tokens) == (500, 1000)
    assert reader.completed and reader.stop_reason == "end_turn" and reader.message_id.startswith("msg_fake_")


def test_json_body_usage_and_error_body():
    reader = anthropic.ResponseReader("application/json")
    reader.feed(json.dumps(message("m", [{"type": "text", "text": "x"}], "max_tokens")).encode())
    reader.finish()
    assert reader.usage.output_tokens == 7 and reader.stop_reason == "max_tokens" and reader.model == "m"
    err = anthropic.ResponseReader("application/json")
    err.feed(b'{"type":"error","error":{"type":"overloaded_error","message":"busy"}}')
    err.finish()
    assert err.error == "busy" and err.usage.total == 0
    assert json.loads(anthropic.error_body("x")) == {"type": "error", "error": {"type": "api_error", "message": "relay: x"}}


@pytest.mark.parametrize("user_id, expected", [
    (json.dumps({"device_id": "d", "account_uuid": "", "session_id": "abc-123"}), "abc-123"),
    ("user_0f3a_account__session_6c1e9a4b-1111-2222-3333-444455556666", "6c1e9a4b-1111-2222-3333-444455556666"),
    ("{not json", None), ("", None), (None, None), (42, None),
])
def test_session_from_metadata(user_id, expected):
    assert anthropic.session_from_metadata(user_id) == expected


def test_request_meta_survives_anything():
    assert anthropic.request_meta(b"\xff\xfe garbage", {}) == (None, False, None)
    assert anthropic.request_meta(b"[1,2]", {"x-claude-code-session-id": "h"}) == (None, False, "h")
    body = json.dumps({"model": "claude-x", "stream": True, "metadata": {"user_id": '{"session_id":"s"}'}}).encode()
    assert anthropic.request_meta(body, {}) == ("claude-x", True, "s")


def test_ratelimit_headers_keep_every_family_member():
    headers = {"anthropic-ratelimit-unified-overage-surpassed-threshold": "0.9", "Retry-After": "3",
               "x-api-key": "secret", "content-type": "application/json"}
    assert anthropic.ratelimit_headers(headers) == {
        "anthropic-ratelimit-unified-overage-surpassed-threshold": "0.9", "retry-after": "3"}
