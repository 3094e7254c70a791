"""The official anthropic SDK through relay with aggressive pruning, against a fake upstream that
refuses invalid requests like the real API: pruning must shrink the request and keep it valid."""
import base64
import json

import anthropic
import pytest
import requests

from tests.proxy.conftest import wait_rows
from tests.relay_process import RelayProcess

REMINDER = ("<system-reminder>\nAs you answer the user's questions, you can use the following context: today's date "
            "is 2026-11-23. IMPORTANT: this context may or may not be relevant to your tasks.\n</system-reminder>")
SPAM = "\n".join(f"GET /api/items/{i} 200 OK 12ms" for i in range(4000))
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (800).to_bytes(4, "big") * 2 + bytes(20000)).decode()


def bash(uid, command):
    return {"type": "tool_use", "id": uid, "name": "Bash", "input": {"command": command}}


def result(uid, content, is_error=False):
    return {"type": "tool_result", "tool_use_id": uid, "content": content, "is_error": is_error}


def long_session():
    """A Claude Code-shaped history with something for many strategies to remove."""
    messages = [
        {"role": "user", "content": [{"type": "text", "text": REMINDER}, {"type": "text", "text": "look at this"},
                                     {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                  "data": PNG}}]},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "Let me think. " * 400,
                                           "signature": "c2lnbmF0dXJl"}, bash("t1", "curl -v localhost")]},
        {"role": "user", "content": [result("t1", SPAM)]},
    ]
    for n in range(2, 6):
        messages += [{"role": "assistant", "content": [bash(f"t{n}", "npm test")]},
                     {"role": "user", "content": [result(f"t{n}", "Error: test runner crashed\n" * 50, True),
                                                  {"type": "text", "text": REMINDER}]}]
    messages += [{"role": "assistant", "content": [{"type": "text", "text": "The tests crash."}]},
                 {"role": "user", "content": "fix it"}]
    return messages


@pytest.fixture
def pruning_relay(upstream):
    with RelayProcess(upstream.url, "--prune", "aggressive", "--prune-force") as relay:
        yield relay


def test_fake_upstream_refuses_what_the_api_refuses(upstream):
    broken = long_session()
    del broken[2]  # a tool_use without its tool_result
    resp = requests.post(upstream.url + "/v1/messages", timeout=10, json={
        "model": "claude-opus-5-5", "max_tokens": 8, "messages": broken})
    assert resp.status_code == 400 and "tool_use` ids were found without" in resp.json()["error"]["message"]


@pytest.mark.parametrize("streaming", [False, True])
def test_sdk_through_aggressive_pruning(pruning_relay, upstream, streaming):
    client = anthropic.Anthropic(base_url=pruning_relay.url, api_key="sk-ant-test", max_retries=0)
    args = dict(model="claude-opus-5-5", max_tokens=64, messages=long_session(),
                extra_headers={"X-Claude-Code-Session-Id": "sdk-prune"})
    if streaming:
        with client.messages.stream(**args) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
    else:
        final = client.messages.create(**args)
        text = final.content[0].text
    assert text == "Hi from the fake upstream!" and final.usage.output_tokens == 7
    sent = json.loads(upstream.requests[-1]["body"])
    original = len(json.dumps(long_session()))
    assert len(upstream.requests[-1]["body"]) < original // 2
    assert sent["messages"][-1] == {"role": "user", "content": "fix it"}
    [row] = wait_rows(pruning_relay.url, 1)
    assert row["outcome"] == "ok" and row["status"] == 200
    report = requests.get(pruning_relay.url + "/api/v1/prune", params={"session_id": "sdk-prune"}, timeout=5).json()
    applied = {r["strategy"] for r in report["prune"]["by_strategy"] if r["decision"] == "applied"}
    assert {"old_images", "old_thinking", "duplicate_reminders"} <= applied
    assert applied & {"http_spam", "oversized_tool_output", "mega_blocks"}
