"""History capture through a real relay subprocess and the fake upstream."""
import hashlib
import json
import subprocess
import sys
import time

import pytest
import requests

from tests.fake_upstream import FakeUpstream
from tests.relay_process import ROOT, RelayProcess

SID = "0a0a0a0a-1111-2222-3333-444455556666"
SUMMARY = "This session is being continued from a previous conversation that ran out of context."
COMPACT = "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nSummarise."
TOOLS = [{"name": "Bash", "description": "run", "input_schema": {"type": "object"}},
         {"name": "mcp__github__issue", "description": "gh", "input_schema": {"type": "object"}},
         {"name": "mcp__github__pr", "description": "pr", "input_schema": {"type": "object"}}]


@pytest.fixture
def upstream():
    server = FakeUpstream().start()
    yield server
    server.stop()


def _body(messages, indent=None):
    data = {"model": "claude-opus-5-5", "max_tokens": 64, "stream": True,
            "metadata": {"user_id": json.dumps({"session_id": SID})},
            "system": [{"type": "text", "text": "You are helpful."}], "messages": messages}
    return json.dumps(data, indent=indent, ensure_ascii=False).encode()


def _send(url, body):
    r = requests.post(f"{url}/v1/messages", data=body, headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 200
    return r.content


def _wait_turns(url, count, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = requests.get(f"{url}/api/v1/history/{SID}", timeout=5)
        if r.status_code == 200 and len(r.json()["turns"]) >= count:
            return r.json()["turns"]
        time.sleep(0.05)
    raise AssertionError(f"expected {count} turns")


def _conversation():
    """Bodies of a session: growth, an edit of the first message, a compact request, a summary."""
    u = lambda text: {"role": "user", "content": text}
    a = lambda text: {"role": "assistant", "content": [{"type": "text", "text": text}]}
    msgs = [u("first question é")]
    bodies = [_body(msgs)]
    msgs = msgs + [a("answer one"), u("second")]
    bodies.append(_body(msgs))
    msgs = msgs + [a("answer two"), u("third")]
    bodies.append(_body(msgs))
    edited = [u("first question, edited")] + msgs[1:] + [a("answer three"), u("fourth")]
    bodies.append(_body(edited))
    bodies.append(_body(edited + [a("answer four"), u(COMPACT)]))
    bodies.append(_body([u(SUMMARY), a("ok"), u("go on")], indent=2))     # odd spacing must survive too
    return bodies


def test_history_on_captures_rebuilds_exactly_and_detects_compaction(upstream, tmp_path):
    with RelayProcess(upstream.url, "--history") as relay:
        sent = _conversation()
        for body in sent:
            _send(relay.url, body)
        turns = _wait_turns(relay.url, len(sent))
        assert [t["kind"] for t in turns] == ["full", "delta", "delta", "full", "delta", "full"]
        assert [t["reason"] for t in turns] == ["first", None, None, "edit", None, "shrink"]
        assert [t["message_count"] for t in turns] == [1, 3, 5, 7, 9, 3]
        received = [r["body"] for r in upstream.requests if r["path"].startswith("/v1/messages")]
        assert received == sent
        for index, body in enumerate(received):
            out = subprocess.run([sys.executable, str(ROOT / "relay.py"), "history", "show", SID, "--turn", str(index),
                                  "--format", "json"], capture_output=True, text=True, env=relay.env, timeout=30)
            assert out.returncode == 0, out.stderr
            shown = json.loads(out.stdout)["request"]
            assert len(shown["messages"]) == len(json.loads(body)["messages"])
            assert shown["response"]["content"][0]["type"] == "text"
            assert shown["response"]["content"][0]["preview"] == "Hi from the fake upstream!"
        comp = requests.get(f"{relay.url}/api/v1/history/{SID}/compactions", timeout=5).json()
        assert comp["ok"] is True
        [event] = comp["compactions"]
        assert event["turn"] == 4 and event["signals"] == ["compact_request", "shrink", "summary"]
        assert event["messages_before"] == 9 and event["messages_after"] == 3
        assert event["tokens_before_est"] > event["tokens_after_est"] > 0
        assert event["tokens_before_measured"] == 12 + 3000 + 1500   # the fake upstream's usage
        assert event["cache_write_after"] == 1500
        listed = requests.get(f"{relay.url}/api/v1/history", timeout=5).json()
        assert listed["ok"] and listed["sessions"][0]["session_id"] == SID and listed["sessions"][0]["turns"] == 6
        assert requests.get(f"{relay.url}/api/v1/history/nope", timeout=5).json() == {
            "ok": False, "error": "no captured history for session 'nope'", "status": 404}
    _check_exact_bytes(relay, sent)


def _check_exact_bytes(relay, sent):
    from relay import paths  # conftest points RELAY_HOME at this test's temp dir
    from relay.store import Store, history_queries
    store = Store(paths.db_path())
    try:
        rebuilt = store.read(lambda c: [history_queries.request_body(c, SID, i) for i in range(len(sent))])
        system = json.dumps([{"type": "text", "text": "You are helpful."}]).encode()
        copies = store.read(lambda c: c.execute("SELECT COUNT(*) FROM history_blobs WHERE hash = ?",
                                                (hashlib.sha256(system).hexdigest(),)).fetchone()[0])
    finally:
        store.close()
    assert rebuilt == sent
    assert copies == 1     # the system prompt, sent six times, stored once


def test_composition_on_the_wire_matches_hand_counts(upstream):
    with RelayProcess(upstream.url, "--history") as relay:
        messages = [{"role": "user", "content": [{"type": "text", "text": "<system-reminder>x</system-reminder>"},
                                                 {"type": "text", "text": "hello"}]},
                    {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "s"},
                                                      {"type": "text", "text": "calling"},
                                                      {"type": "tool_use", "id": "t1", "name": "Bash",
                                                       "input": {"command": "ls"}}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "a.txt"}]}]
        data = json.loads(_body(messages))
        data["tools"] = TOOLS + [TOOLS[0]]          # a repeated tool is counted once
        _send(relay.url, json.dumps(data).encode())
        _wait_turns(relay.url, 1)
        got = requests.get(f"{relay.url}/api/v1/history/{SID}/composition", timeout=5).json()
    assert got["ok"] is True
    comp = got["turns"][0]["composition"]
    tool_chars = [len(json.dumps(t)) for t in TOOLS]
    expected = {"user_text": 5, "assistant_text": 7, "tool_use": len("Bash") + len('{"command": "ls"}'),
                "tool_result": 5, "thinking_overhead": 3, "system": len("<system-reminder>x</system-reminder>"),
                "system_prompt": len("You are helpful."), "tool_schemas": sum(tool_chars)}
    assert comp["chars"] == expected
    assert comp["tools_by_server"]["builtin"]["tools"] == 1
    assert comp["tools_by_server"]["github"] == {"tools": 2, "chars": tool_chars[1] + tool_chars[2],
                                                 "tokens": -(-(tool_chars[1] + tool_chars[2]) // 4),
                                                 "percent": round(100 * (tool_chars[1] + tool_chars[2])
                                                                  / sum(expected.values()), 1)}
    assert comp["total_chars"] == sum(expected.values())


def test_history_off_records_nothing_and_passes_bytes(upstream):
    with RelayProcess(upstream.url) as relay:
        body = _body([{"role": "user", "content": "hi"}])
        _send(relay.url, body)
        assert upstream.requests[-1]["body"] == body
        for _ in range(40):
            rows = requests.get(f"{relay.url}/api/v1/requests", timeout=5).json()["requests"]
            if rows and rows[0]["outcome"]:
                break
            time.sleep(0.05)
        assert requests.get(f"{relay.url}/api/v1/history", timeout=5).json() == {"ok": True, "sessions": []}
        out = subprocess.run([sys.executable, str(ROOT / "relay.py"), "history", "list"], capture_output=True,
                             text=True, env=relay.env, timeout=30)
        assert out.returncode == 0 and "No history captured yet" in out.stdout


def test_periodic_full_snapshot(upstream):
    with RelayProcess(upstream.url, "--history", "--history-full-every", "2") as relay:
        msgs = [{"role": "user", "content": "q0"}]
        for i in range(5):
            _send(relay.url, _body(msgs))
            msgs = msgs + [{"role": "assistant", "content": f"a{i}"}, {"role": "user", "content": f"q{i + 1}"}]
        turns = _wait_turns(relay.url, 5)
        assert [(t["kind"], t["reason"]) for t in turns] == [
            ("full", "first"), ("delta", None), ("full", "periodic"), ("delta", None), ("full", "periodic")]


def test_a_moved_cache_breakpoint_is_not_a_second_compaction(upstream):
    cc = {"type": "ephemeral"}
    summary = lambda marked: {"role": "user", "content": [{"type": "text", "text": SUMMARY,
                                                           **({"cache_control": cc} if marked else {})}]}
    sent = [_body([{"role": "user", "content": "before"}]),
            _body([summary(True)]),
            _body([summary(False), {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
                   {"role": "user", "content": [{"type": "text", "text": "go on", "cache_control": cc}]}])]
    with RelayProcess(upstream.url, "--history") as relay:
        for body in sent:
            _send(relay.url, body)
        _wait_turns(relay.url, len(sent))
        comp = requests.get(f"{relay.url}/api/v1/history/{SID}/compactions", timeout=5).json()
        assert [e["turn"] for e in comp["compactions"]] == [1]
