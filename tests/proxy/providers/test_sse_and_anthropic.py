"""The pure parts of the proxy: SSE framing and what is read from Anthropic traffic."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    assert (u.input_tokens, u.output_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens) == (
        12, 7, 1500, 3000)
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
    assert json.loads(anthropic.error_body("x")) == {
        "type": "error", "error": {"type": "api_error", "message": "relay: x"}}


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


def _event(kind, **data):
    return f"event: {kind}\ndata: {json.dumps(dict(type=kind, **data))}\n\n".encode()


def test_content_is_rebuilt_from_thinking_text_and_tool_deltas():
    stream = b"".join([
        _event("message_start", message={"id": "msg_1", "model": "m", "usage": {"input_tokens": 3}}),
        _event("content_block_start", index=0, content_block={"type": "thinking", "thinking": ""}),
        _event("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "Let me "}),
        _event("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "check."}),
        _event("content_block_delta", index=0, delta={"type": "signature_delta", "signature": "c2ln"}),
        _event("content_block_stop", index=0),
        _event("content_block_start", index=1, content_block={"type": "text", "text": ""}),
        _event("content_block_delta", index=1, delta={"type": "text_delta", "text": "Running "}),
        _event("content_block_delta", index=1, delta={"type": "text_delta", "text": "it."}),
        _event("content_block_stop", index=1),
        _event("content_block_start", index=2, content_block={"type": "tool_use", "id": "toolu_1", "name": "Bash",
                                                              "input": {}}),
        _event("content_block_delta", index=2, delta={"type": "input_json_delta", "partial_json": '{"command":'}),
        _event("content_block_delta", index=2, delta={"type": "input_json_delta", "partial_json": ' "ls -la"}'}),
        _event("content_block_stop", index=2),
        _event("message_delta", delta={"stop_reason": "tool_use"}, usage={"output_tokens": 9}),
        _event("message_stop"),
    ])
    reader = anthropic.ResponseReader("text/event-stream", keep_content=True)
    for i in range(0, len(stream), 13):
        reader.feed(stream[i:i + 13])
    blocks = anthropic.assemble_content(reader.content_parts)
    assert blocks[0]["type"] == "thinking" and blocks[0]["thinking"] == "Let me check."
    assert blocks[0]["signature"] == "c2ln"
    assert blocks[1] == {"type": "text", "text": "Running it."}
    assert {k: blocks[2][k] for k in ("type", "id", "name", "input")} == {
        "type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls -la"}}
    assert reader.stop_reason == "tool_use" and reader.usage.output_tokens == 9


def test_cut_tool_input_is_kept_raw():
    reader = anthropic.ResponseReader("text/event-stream", keep_content=True)
    reader.feed(_event("content_block_start", index=0, content_block={"type": "tool_use", "id": "t", "name": "Bash",
                                                                       "input": {}})
                + _event("content_block_delta", index=0, delta={"type": "input_json_delta", "partial_json": '{"comm'}))
    [block] = anthropic.assemble_content(reader.content_parts)
    assert block["input_json"] == '{"comm' and block["name"] == "Bash"


def test_decoder_work_is_linear_in_event_size():
    """A 5 MB event arriving in 4 KB chunks is searched once, byte by byte, not rescanned at each
    chunk (the old decoder appended to a buffer and searched it again: quadratic, minutes at 100 MB)."""
    payload = json.dumps({"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x" * (5 << 20)}})
    wire = b"event: content_block_delta\r\ndata: " + payload.encode() + b"\r\n\r\n"
    decoder, events = Decoder(), []
    for at in range(0, len(wire), 4096):
        events += decoder.feed(wire[at:at + 4096])
    assert [json.loads(e.data)["delta"]["text"] == "x" * (5 << 20) for e in events] == [True]
    assert decoder.scanned <= len(wire) and not decoder.pending
