"""The pure OpenAI and Gemini provider readers on golden bodies (tests/data/streams), fed in
every split, plus what they read from requests and headers."""
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relay.costs.cost import cost_of
from relay.costs.prices import PriceTable
from relay.models import Usage
from relay.proxy.mounts import match
from relay.proxy.providers import gemini, openai
from relay.proxy.redact import redact_target

STREAMS = Path(__file__).resolve().parents[2] / "data" / "streams"
CODEX_REQUESTS = Path(__file__).resolve().parents[2] / "data" / "requests" / "codex"


def read(provider, name, content_type="text/event-stream", step=None):
    body = (STREAMS / name).read_bytes()
    reader = provider.ResponseReader(content_type)
    step = step or len(body)
    for i in range(0, len(body), step):
        reader.feed(body[i:i + step])
    reader.finish()
    return reader


def tokens(usage):
    return (usage.input_tokens, usage.cache_read_input_tokens, usage.output_tokens, usage.reasoning_tokens,
            usage.cache_creation_input_tokens)


@given(st.integers(min_value=1, max_value=400))
def test_openai_responses_stream_any_split(step):
    reader = read(openai, "openai-responses.sse", step=step)
    # input 18234 includes 17920 cached: relay's input excludes them; reasoning is inside output.
    assert tokens(reader.usage) == (314, 17920, 245, 192, 0)
    assert reader.completed and reader.error is None
    assert (reader.message_id, reader.model, reader.stop_reason) == ("resp_0a1b2c", "gpt-5.1-codex-2026-01-10",
                                                                     "completed")
    assert reader.events == 14


def test_openai_incomplete_response_keeps_its_reason_and_usage():
    reader = read(openai, "openai-responses-incomplete.sse")
    assert reader.completed and reader.stop_reason == "incomplete:max_output_tokens"
    assert tokens(reader.usage) == (50, 0, 16, 16, 0)


@given(st.integers(min_value=1, max_value=300))
def test_openai_chat_stream_usage_from_last_chunk(step):
    reader = read(openai, "openai-chat.sse", step=step)
    assert tokens(reader.usage) == (86, 1920, 300, 0, 0)
    assert reader.completed and reader.stop_reason == "stop" and reader.message_id == "chatcmpl-AbC"


def test_openai_stream_cut_before_completed_is_not_complete():
    body = (STREAMS / "openai-responses.sse").read_bytes()
    reader = openai.ResponseReader("text/event-stream")
    reader.feed(body[:body.index(b"event: response.completed")])
    assert not reader.completed and reader.usage == Usage()


def test_openai_json_bodies_and_errors():
    reader = openai.ResponseReader("application/json")
    reader.feed(json.dumps({"id": "resp_9", "object": "response", "status": "completed", "model": "gpt-5",
                            "usage": {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4},
                                      "output_tokens": 3, "output_tokens_details": {"reasoning_tokens": 1}}}).encode())
    reader.finish()
    assert tokens(reader.usage) == (6, 4, 3, 1, 0) and reader.completed
    reader = openai.ResponseReader("application/json")
    reader.feed(b'{"error": {"message": "Rate limit reached", "type": "requests"}}')
    reader.finish()
    assert reader.error == "Rate limit reached" and reader.usage == Usage()
    [event] = [b'event: error\ndata: {"type":"error","message":"overloaded","sequence_number":0}\n\n']
    reader = openai.ResponseReader("text/event-stream")
    reader.feed(event)
    assert reader.error == "overloaded"


def test_openai_request_meta_from_codex_fixture():
    captured = json.loads((CODEX_REQUESTS / "request-001-text.json").read_text())
    headers = {k.lower(): v for k, v in captured["headers"].items()}
    body = json.dumps(captured["body"]).encode()
    assert openai.request_meta(body, headers) == ("gpt-5-codex", True, "01a203be-8902-7872-be43-11f689f1e26b")
    # Without the plain header, the session id comes from the turn metadata JSON.
    del headers["session-id"], headers["thread-id"]
    assert openai.request_meta(body, headers)[2] == "01a203be-8902-7872-be43-11f689f1e26b"
    assert openai.request_meta(b"not json", {}) == (None, False, None)


def test_openai_ratelimit_headers_keep_codex_and_openai_families_only():
    headers = {"X-Codex-Primary-Used-Percent": "12.5", "x-codex-secondary-window-minutes": "10080",
               "x-ratelimit-remaining-tokens": "9", "retry-after": "3", "authorization": "Bearer sk-x",
               "openai-organization": "org", "set-cookie": "a=b"}
    assert openai.ratelimit_headers(headers) == {"x-codex-primary-used-percent": "12.5",
                                                 "x-codex-secondary-window-minutes": "10080",
                                                 "x-ratelimit-remaining-tokens": "9", "retry-after": "3"}


@given(st.integers(min_value=1, max_value=300))
def test_gemini_stream_latest_running_total_wins(step):
    reader = read(gemini, "gemini-stream.sse", step=step)
    # prompt 9120 includes 8000 cached; thoughts (310) are billed as output on top of candidates (6).
    assert tokens(reader.usage) == (1120, 8000, 316, 310, 0)
    assert reader.completed and reader.stop_reason == "STOP" and reader.message_id == "Xk9aZ-abc"
    assert reader.model == "gemini-2.5-pro" and reader.events == 2


def test_gemini_json_and_array_bodies():
    for wrap in (lambda d: d, lambda d: [d]):
        data = json.loads((STREAMS / "gemini-generate.json").read_text())
        reader = gemini.ResponseReader("application/json; charset=UTF-8")
        reader.feed(json.dumps(wrap(data)).encode())
        reader.finish()
        assert tokens(reader.usage) == (1230, 0, 20, 0, 0) and reader.completed  # tool-use prompt is input
    reader = gemini.ResponseReader("application/json")
    reader.feed(b'{"totalTokens": 42}')                 # countTokens: a count, not a model call
    reader.finish()
    assert reader.usage == Usage() and reader.error is None


def test_gemini_request_meta_from_path():
    path = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    assert gemini.request_meta(b"{}", {}, path) == ("gemini-2.5-pro", True, None)
    flash = "/v1beta/models/gemini-3-flash:generateContent"
    assert gemini.request_meta(b"", {}, flash)[:2] == ("gemini-3-flash", False)
    assert gemini.request_meta(b"", {}, "/v1beta/models")[:2] == (None, False)


@pytest.mark.parametrize("provider, shape", [(openai, ("error", "message")), (gemini, ("error", "message"))])
def test_error_bodies_are_provider_shaped(provider, shape):
    data = json.loads(provider.error_body("upstream unreachable (x)"))
    assert data[shape[0]][shape[1]] == "relay: upstream unreachable (x)"
    if provider is gemini:
        assert data["error"]["status"] == "UNAVAILABLE" and data["error"]["code"] == 502


def test_routes_and_key_redaction():
    assert match("/v1/messages").provider.PROVIDER == "anthropic"
    route = match("/openai/v1/responses")
    assert route.provider.PROVIDER == "openai"
    assert route.upstream_target("/openai/v1/responses?x=1") == "/v1/responses?x=1"
    route = match("/gemini/v1beta/models/m:countTokens")
    assert route.provider.PROVIDER == "gemini" and route.upstream_target("/gemini/v1beta/x") == "/v1beta/x"
    assert match("/openaiX/v1") is None and match("/api/v1/health") is None and match("/v1x") is None
    assert redact_target("/v1beta/models/m:generateContent?key=AIzaSECRET&alt=sse") == \
        "/v1beta/models/m:generateContent?key=***&alt=sse"
    assert redact_target("/x?alt=sse&API_KEY=s3cret") == "/x?alt=sse&API_KEY=***"
    assert redact_target("/v1/messages?beta=true") == "/v1/messages?beta=true"


def test_normalised_usage_prices_cached_tokens_once_at_the_cached_rate():
    table = PriceTable()
    usage = read(openai, "openai-responses.sse").usage
    price = table.lookup("gpt-5.1-codex")
    cost = cost_of(usage, price)
    expected = (314 * price.base.input + 17920 * price.base.cache_read + 245 * price.base.output) / 1_000_000
    assert cost["total"] == pytest.approx(expected)
    usage = read(gemini, "gemini-stream.sse").usage
    price = table.lookup("gemini-2.5-pro")
    expected = (1120 * price.base.input + 8000 * price.base.cache_read + 316 * price.base.output) / 1_000_000
    assert cost_of(usage, price)["total"] == pytest.approx(expected)
