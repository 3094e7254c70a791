"""The official `openai` Python SDK pointed at relay's /openai/v1 mount: Responses and Chat
Completions, streaming and not, must work exactly as against the API, upstream must receive the
SDK's own bytes on /v1/..., and relay must record usage (cached input apart) without the key."""
import json

import openai
import pytest
import requests

from tests.fake_wire import CODEX_HEADERS, OPENAI_ROW, TEXT
from tests.proxy.conftest import wait_rows
from tests.proxy.test_anthropic_sdk import Sent, assert_forwarded, assert_key_not_stored

KEY = "sk-proj-relay-openai-sdk-test-KEY-never-stored"
MOUNT = "/openai"


@pytest.fixture
def sent():
    return Sent()


@pytest.fixture
def client(relay, sent):
    # trust_env=False: a developer's HTTP(S)_PROXY must not sit between the SDK and relay on loopback.
    http_client = openai.DefaultHttpxClient(event_hooks={"request": [sent.hook]}, trust_env=False)
    with openai.OpenAI(base_url=relay.url + MOUNT + "/v1", api_key=KEY, max_retries=0, http_client=http_client) as sdk:
        yield sdk


def assert_row(row, model, stream, stop_reason, path):
    assert row["provider"] == "openai" and row["path"] == path and row["model"] == model
    assert row["status"] == 200 and row["outcome"] == "ok" and row["stream"] is stream
    assert {k: row[k] for k in OPENAI_ROW} == OPENAI_ROW
    assert row["cache_creation_input_tokens"] == 0 and row["stop_reason"] == stop_reason
    assert row["ratelimit"] == CODEX_HEADERS


def test_responses_stream(relay, upstream, client, sent):
    with client.responses.stream(model="gpt-5-codex", input="say hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == TEXT and final.output_text == TEXT
    assert (final.usage.input_tokens, final.usage.input_tokens_details.cached_tokens) == (1234, 1000)
    assert_forwarded(sent, upstream, KEY, MOUNT)
    assert upstream.requests[0]["path"] == "/v1/responses"
    [row] = wait_rows(relay.url, 1)
    assert_row(row, "gpt-5-codex", True, "completed", "/v1/responses")
    assert row["message_id"] == final.id
    assert_key_not_stored(relay, [row], KEY)


def test_responses_create_and_function_call(relay, upstream, client, sent):
    tool = {"type": "function", "name": "exec_command", "description": "run",
            "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}}
    first = client.responses.create(model="gpt-5.1-codex", input="run echo hello-from-tool", tools=[tool])
    [call] = [item for item in first.output if item.type == "function_call"]
    assert (call.name, json.loads(call.arguments)) == ("exec_command", {"cmd": "echo hello-from-tool"})
    second = client.responses.create(model="gpt-5.1-codex", tools=[tool], input=[
        {"role": "user", "content": "run echo hello-from-tool"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": "hello-from-tool"}])
    assert second.output_text == TEXT
    assert_forwarded(sent, upstream, KEY, MOUNT)
    rows = wait_rows(relay.url, 2)
    for row in rows:
        assert_row(row, "gpt-5.1-codex", False, "completed", "/v1/responses")
    assert [r["message_id"] for r in rows] == [second.id, first.id]


def test_chat_completions_stream_with_usage(relay, upstream, client, sent):
    chunks = list(client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}],
                                                 stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == TEXT
    assert chunks[-1].usage.prompt_tokens == 1234
    plain = client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
    assert plain.choices[0].message.content == TEXT
    assert_forwarded(sent, upstream, KEY, MOUNT)
    newest, oldest = wait_rows(relay.url, 2)
    assert_row(oldest, "gpt-4.1", True, "stop", "/v1/chat/completions")
    assert_row(newest, "gpt-4.1", False, "stop", "/v1/chat/completions")
    assert_key_not_stored(relay, [newest, oldest], KEY)


def test_models_list_and_typed_errors(relay, upstream, client, sent):
    assert [m.id for m in client.models.list()] == ["gpt-5-codex", "gpt-4.1"]
    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model="gpt-5-codex", input="hi", extra_headers={"x-fake-scenario": "error-429"})
    assert caught.value.status_code == 429 and caught.value.body["code"] == "rate_limit_exceeded"
    assert len(upstream.requests) == 2
    assert_forwarded(sent, upstream, KEY, MOUNT)
    rows = wait_rows(relay.url, 2)
    assert {(r["path"], r["status"], r["outcome"]) for r in rows} == {("/v1/models", 200, "ok"),
                                                                     ("/v1/responses", 429, "upstream_error")}
    assert all(r["provider"] == "openai" for r in rows)
    anthropic_rows = requests.get(relay.url + "/api/v1/requests", params={"provider": "anthropic"}, timeout=5)
    assert anthropic_rows.json()["requests"] == []


def test_stream_cut_by_upstream_is_recorded_as_cut(relay, upstream, client):
    with pytest.raises(Exception):   # noqa: B017  (which error a cut stream raises differs by SDK version)
        with client.responses.stream(model="gpt-5-codex", input="hi",
                                     extra_headers={"x-fake-scenario": "close-mid-stream"}) as stream:
            list(stream)
    [row] = wait_rows(relay.url, 1)
    assert row["outcome"] == "upstream_closed" and row["input_tokens"] == 0


def test_websocket_upgrade_is_refused_at_once_without_reaching_upstream(relay, upstream):
    # What Codex's built-in provider sends first (tests/data/requests/codex/request-websocket-upgrade-attempt.json).
    headers = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "lbUpssxFwhVrcr8KuGbolg==", "openai-beta": "responses_websockets=2026-02-06"}
    resp = requests.get(relay.url + "/openai/v1/responses", headers=headers, timeout=5)
    assert resp.status_code == 426 and resp.json()["error"]["message"].startswith("relay: ")
    assert upstream.requests == []
    assert requests.get(relay.url + "/api/v1/requests", timeout=5).json()["requests"] == []
