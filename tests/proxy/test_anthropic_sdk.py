"""The official `anthropic` Python SDK pointed at relay: it must work exactly as against the API,
upstream must receive the SDK's own bytes, and relay must record what happened without the key."""
import json
import os
from pathlib import Path

import anthropic
import pytest
import requests

from tests.fake_upstream import OUTPUT_TOKENS, RATELIMIT_HEADERS, TEXT, TOOL_INPUT
from tests.proxy.conftest import wait_rows

KEY = "sk-ant-api03-relay-sdk-test-KEY-never-stored"
MODEL = "claude-opus-5-5"
BASH = {"name": "Bash", "description": "Run a shell command.",
        "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}
# Not forwarded as-is by design: hop-by-hop headers, Host, and Accept-Encoding (narrowed to what relay decodes).
NOT_FORWARDED = {"host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                 "upgrade", "accept-encoding"}
ERRORS = {429: ("rate_limit_error", anthropic.RateLimitError),
          529: ("overloaded_error", anthropic.InternalServerError),
          500: ("api_error", anthropic.InternalServerError)}


class Sent:
    """What the SDK put on the wire to relay, captured by an httpx request hook."""

    def __init__(self):
        self.requests = []

    def hook(self, request):
        self.requests.append({"method": request.method, "url": str(request.url), "headers": dict(request.headers),
                              "body": request.read()})


def make_client(relay, sent, **kwargs):
    # trust_env=False: a developer's HTTP(S)_PROXY must not sit between the SDK and relay on loopback.
    http_client = anthropic.DefaultHttpxClient(event_hooks={"request": [sent.hook]}, trust_env=False)
    kwargs.setdefault("api_key", KEY)
    return anthropic.Anthropic(base_url=relay.url, max_retries=0, http_client=http_client, **kwargs)


@pytest.fixture
def sent():
    return Sent()


@pytest.fixture
def client(relay, sent):
    with make_client(relay, sent) as sdk:
        yield sdk


def lower(headers):
    return {k.lower(): v for k, v in headers.items()}


def assert_forwarded(sent, upstream, key=KEY, mount=""):
    """Every request the SDK sent reached upstream with the same method, path (less relay's mount
    prefix), headers and body bytes."""
    assert len(upstream.requests) == len(sent.requests)
    for mine, seen in zip(sent.requests, upstream.requests):
        assert seen["method"] == mine["method"]
        assert mount + seen["path"] == "/" + mine["url"].split("/", 3)[3]
        assert seen["body"] == mine["body"]
        theirs = lower(seen["headers"])
        for name, value in lower(mine["headers"]).items():
            if name not in NOT_FORWARDED:
                assert theirs.get(name) == value, name
        auth = {k: v for k, v in theirs.items() if k in ("x-api-key", "authorization")}
        assert auth and all(key in v for v in auth.values())


def assert_usage_row(row, stream, stop_reason, message_id, path="/v1/messages"):
    assert row["provider"] == "anthropic" and row["path"] == path and row["model"] == MODEL
    assert row["status"] == 200 and row["outcome"] == "ok" and row["stream"] is stream
    assert (row["input_tokens"], row["output_tokens"]) == (12, OUTPUT_TOKENS)
    assert (row["cache_creation_input_tokens"], row["cache_creation_5m_input_tokens"],
            row["cache_creation_1h_input_tokens"], row["cache_read_input_tokens"]) == (1500, 500, 1000, 3000)
    assert row["stop_reason"] == stop_reason and row["message_id"] == message_id
    assert row["ratelimit"] == RATELIMIT_HEADERS


def assert_key_not_stored(relay, rows, key=KEY):
    """Neither the API nor any file in RELAY_HOME (relay.db, -wal, -shm ...) holds the key, while relay
    runs (the WAL) and after it stopped (checkpointed)."""
    assert key not in json.dumps(rows)
    home = Path(os.environ["RELAY_HOME"])
    assert (home / "relay.db").exists()
    for phase in ("running", "stopped"):
        if phase == "stopped":
            relay.stop()
        files = [p for p in home.rglob("*") if p.is_file()]
        assert any(p.name.startswith("relay.db") for p in files)
        for path in files:
            assert key.encode() not in path.read_bytes(), f"{phase}: API key found in {path}"


def usage_tuple(usage):
    return (usage.input_tokens, usage.output_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens,
            usage.cache_creation.ephemeral_5m_input_tokens, usage.cache_creation.ephemeral_1h_input_tokens)


def test_stream_text(relay, upstream, client, sent):
    with client.messages.stream(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "say hi"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
        request_id = stream.response.headers["request-id"]
    assert text == TEXT
    assert final.stop_reason == "end_turn" and final.content[0].text == TEXT
    assert usage_tuple(final.usage) == (12, OUTPUT_TOKENS, 1500, 3000, 500, 1000)
    assert json.loads(sent.requests[0]["body"])["stream"] is True
    assert_forwarded(sent, upstream)
    [row] = wait_rows(relay.url, 1)
    assert_usage_row(row, stream=True, stop_reason="end_turn", message_id=final.id)
    assert row["request_id"] == request_id
    assert_key_not_stored(relay, [row])


def test_create_non_streaming(relay, upstream, client, sent):
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=64,
                                                   messages=[{"role": "user", "content": "say hi"}])
    message = raw.parse()
    assert raw.status_code == 200 and raw.headers["anthropic-ratelimit-unified-5h-utilization"] == "0.12"
    assert message.content[0].text == TEXT and message.stop_reason == "end_turn"
    assert usage_tuple(message.usage) == (12, OUTPUT_TOKENS, 1500, 3000, 500, 1000)
    assert "stream" not in json.loads(sent.requests[0]["body"])
    assert_forwarded(sent, upstream)
    [row] = wait_rows(relay.url, 1)
    assert_usage_row(row, stream=False, stop_reason="end_turn", message_id=message.id)
    assert row["request_id"] == raw.headers["request-id"]
    assert_key_not_stored(relay, [row])


def test_tool_use_round_trip(relay, upstream, client, sent):
    messages = [{"role": "user", "content": "run echo hello-from-tool"}]
    first = client.messages.create(model=MODEL, max_tokens=256, tools=[BASH], messages=messages)
    assert first.stop_reason == "tool_use"
    [tool] = [b for b in first.content if b.type == "tool_use"]
    assert tool.name == "Bash" and tool.input == json.loads(TOOL_INPUT)
    messages += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool.id,
                                               "content": "hello-from-tool"}]}]
    second = client.messages.create(model=MODEL, max_tokens=256, tools=[BASH], messages=messages)
    assert second.stop_reason == "end_turn" and second.content[0].text == TEXT
    followup = json.loads(upstream.requests[1]["body"])
    assert followup["messages"][2]["content"][0]["tool_use_id"] == tool.id
    assert_forwarded(sent, upstream)
    rows = wait_rows(relay.url, 2)
    assert len(rows) == 2
    newest, oldest = rows
    assert_usage_row(oldest, stream=False, stop_reason="tool_use", message_id=first.id)
    assert_usage_row(newest, stream=False, stop_reason="end_turn", message_id=second.id)
    assert_key_not_stored(relay, rows)


def test_stream_tool_input_json_deltas(relay, upstream, client, sent):
    partials, snapshots = [], []
    with client.messages.stream(model=MODEL, max_tokens=256, tools=[BASH],
                                messages=[{"role": "user", "content": "run echo hello-from-tool"}]) as stream:
        for event in stream:
            if event.type == "input_json":
                partials.append(event.partial_json)
                snapshots.append(event.snapshot)
        final = stream.get_final_message()
    assert len(partials) > 1 and "".join(partials) == TOOL_INPUT
    assert snapshots[-1] == json.loads(TOOL_INPUT)
    [text, tool] = final.content
    assert text.text == "Running it." and tool.type == "tool_use" and tool.input == json.loads(TOOL_INPUT)
    assert final.stop_reason == "tool_use"
    assert_forwarded(sent, upstream)
    [row] = wait_rows(relay.url, 1)
    assert_usage_row(row, stream=True, stop_reason="tool_use", message_id=final.id)
    assert_key_not_stored(relay, [row])


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize("status", sorted(ERRORS))
def test_upstream_error_is_the_sdks_typed_error(relay, upstream, client, sent, status, stream):
    kind, error_class = ERRORS[status]
    kwargs = dict(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "say hi"}],
                  extra_headers={"x-fake-scenario": f"error-{status}"})
    with pytest.raises(anthropic.APIStatusError) as caught:
        if stream:
            with client.messages.stream(**kwargs) as events:
                list(events)
        else:
            client.messages.create(**kwargs)
    error = caught.value
    assert isinstance(error, error_class) and error.status_code == status
    assert error.body == {"type": "error", "error": {"type": kind, "message": f"fake {status}"}}
    assert error.response.headers["retry-after"] == "17"
    assert error.response.headers["anthropic-ratelimit-unified-status"] == "rejected"
    assert len(upstream.requests) == 1  # max_retries=0: relay itself never retries
    assert_forwarded(sent, upstream)
    [row] = wait_rows(relay.url, 1)
    assert row["status"] == status and row["outcome"] == "upstream_error" and row["stream"] is stream
    assert row["model"] == MODEL and row["path"] == "/v1/messages"
    assert row["request_id"] == error.response.headers["request-id"]
    assert row["ratelimit"]["retry-after"] == "17"
    assert row["ratelimit"]["anthropic-ratelimit-unified-status"] == "rejected"
    assert row["input_tokens"] == row["output_tokens"] == 0 and row["stop_reason"] is None
    assert_key_not_stored(relay, [row])


def test_x_api_key_header_passes_through_and_is_not_stored(relay, upstream, sent):
    """Claude Code's style of auth (`x-api-key`), whatever header this SDK version uses for api_key."""
    with make_client(relay, sent, api_key=None, default_headers={"x-api-key": KEY}) as sdk:
        message = sdk.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "say hi"}])
    assert lower(upstream.requests[0]["headers"])["x-api-key"] == KEY
    assert_forwarded(sent, upstream)
    [row] = wait_rows(relay.url, 1)
    assert_usage_row(row, stream=False, stop_reason="end_turn", message_id=message.id)
    assert_key_not_stored(relay, [row])


def test_recorded_row_is_served_by_id(relay, client):
    message = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "say hi"}])
    [row] = wait_rows(relay.url, 1)
    one = requests.get(f"{relay.url}/api/v1/requests/{row['id']}", timeout=5).json()
    assert one["ok"] is True and one["request"] == row
    assert row["message_id"] == message.id
