"""/history/ pages over captured turns: the session list, the timeline with a compaction marker
and composition per turn, one turn replayed; each with its JSON twin, escaped."""
import json

import requests

from tests.proxy.conftest import wait_rows

SESSION = "sess-history"
SUMMARY = "This session is being continued from a previous conversation that ran out of context. <b>x</b>"


def send(relay, messages):
    body = {"model": "claude-opus-5-5", "max_tokens": 64, "stream": True, "messages": messages}
    r = requests.post(relay.url + "/v1/messages", data=json.dumps(body), timeout=10,
                      headers={"content-type": "application/json", "x-claude-code-session-id": SESSION})
    assert r.status_code == 200


def captured(relay):
    send(relay, [{"role": "user", "content": "read the file"},
                 {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Read",
                                                    "input": {"file_path": "</pre><script>alert(1)</script>"}}]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "x" * 4000}]}])
    send(relay, [{"role": "user", "content": SUMMARY}])   # fewer messages + the summary: a compaction
    wait_rows(relay.url, 2)
    assert requests.get(f"{relay.url}/api/v1/history/{SESSION}", timeout=5).status_code == 200
    return relay


def test_history_list_session_timeline_and_turn(history_relay):
    relay = captured(history_relay)
    listing = requests.get(relay.url + "/history/", timeout=5).text
    assert f'href="/history/{SESSION}"' in listing

    page = requests.get(f"{relay.url}/history/{SESSION}", timeout=5).text
    # the context chart: one bar stack per turn, one compaction marker, the cache-write dots
    assert page.count('class="marker compaction"') == 1 and 'class="compaction-marker"' in page
    assert page.count('class="mark dot cache-write') == 2
    assert "part-tool_result" in page                                         # composition of turn 0
    replay = requests.get(f"{relay.url}/api/v1/history/{SESSION}/replay", timeout=5).json()["replay"]
    assert [t["index"] for t in replay["turns"]] == [0, 1]
    assert replay["turns"][1]["compaction"] is not None and replay["turns"][0]["compaction"] is None
    assert replay["turns"][0]["composition"]["percent"]["tool_result"] > 50

    turn = requests.get(f"{relay.url}/history/{SESSION}/0", timeout=5).text
    assert "<script>alert(1)" not in turn and "</pre><script>" not in turn
    assert "tool_use" in turn and "Read" in turn
    data = requests.get(f"{relay.url}/api/v1/history/{SESSION}/turns/0", timeout=5).json()["turn"]
    assert [m["role"] for m in data["messages"]] == ["user", "assistant", "user"]
    assert data["response"] is not None
    later = requests.get(f"{relay.url}/history/{SESSION}/1", timeout=5).text
    assert "&lt;b&gt;x&lt;/b&gt;" in later


def test_missing_history_is_a_404_with_the_api_envelope(history_relay):
    for path in ("/history/nope", "/api/v1/history/nope/replay", "/history/nope/0", "/api/v1/history/nope/turns/3"):
        r = requests.get(history_relay.url + path, timeout=5, headers={"Accept": "application/json"})
        assert r.status_code == 404 and r.json()["ok"] is False, path
