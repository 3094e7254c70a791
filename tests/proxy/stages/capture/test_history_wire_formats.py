"""History capture of Codex (Responses) and Gemini CLI (Gemini, Code Assist) model calls, through a
real relay with --history and the fake upstream, from the bodies the real CLIs sent
(tests/data/requests/{codex,codex-chatgpt,gemini,gemini-code-assist}/)."""
import copy
import json
from urllib.parse import quote

import pytest
import requests

from relay.proxy.providers.gemini import conversation_id
from tests.fake_wire import TEXT
from tests.proxy.conftest import history_bodies, wait_history
from tests.relay_process import ROOT, RelayProcess

DATA = ROOT / "tests" / "data" / "requests"
CODEX_SID = "01a203be-8902-7872-be43-11f689f1e26b"       # the session-id header of codex/request-001
CHATGPT_SID = "chatgpt-thread-1"
GEMINI_UA = "GeminiCLI-tui/0.61.0/gemini-2.5-pro (linux; x64; terminal)"


def _recorded(name):
    return json.loads((DATA / name).read_text())


def _dump(data, indent=None):
    return json.dumps(data, indent=indent, ensure_ascii=False).encode()


@pytest.fixture
def relay(upstream):   # `upstream` is tests/proxy/conftest.py's
    process = RelayProcess(upstream.url, "--history").start()
    yield process
    process.stop()


def _post(relay, path, body, headers=None):
    r = requests.post(relay.url + path, data=body, timeout=10,
                      headers={"content-type": "application/json", **(headers or {})})
    assert r.status_code == 200, r.text
    return r.content


def _turns(relay, sid, count):
    return wait_history(relay.url, sid, count)


def _rebuilt(sid, count):
    return history_bodies(sid, count)


def _shown(relay, sid, turn):
    r = requests.get(f"{relay.url}/api/v1/history/{quote(sid, safe='')}/turns/{turn}", timeout=5)
    assert r.status_code == 200, r.text
    return r.json()["turn"]


def _sane(comp):
    assert comp is not None
    assert 99.0 <= sum(comp["percent"].values()) <= 101.0
    assert comp["total_tokens"] > 0 and 0 <= comp["snr"] < 1
    return comp


def _codex_conversation():
    """Three requests of one Codex session, grown the way Codex grows them: the recorded first
    request, then the answer and a tool call with its output (from the recorded tool follow-up)
    appended, then an answer and a new prompt."""
    first = _recorded("codex/request-001-text.json")["body"]
    followup = _recorded("codex/request-tool-followup.json")["body"]
    call, output = followup["input"][-2:]
    second = copy.deepcopy(first)
    second["input"] += [{"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "think"}],
                         "encrypted_content": "opaque"}, call, output]
    third = copy.deepcopy(second)
    third["input"] += [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "done"}]},
                       {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "thanks é"}]}]
    return [_dump(first, indent=2), _dump(second, indent=2), _dump(third, indent=2)]   # spacing kept exactly


def test_codex_responses_turns_are_captured_rebuilt_exactly_and_composed(relay, upstream):
    sent = _codex_conversation()
    for body in sent:
        _post(relay, "/openai/v1/responses", body, {"session-id": CODEX_SID})
    turns = _turns(relay, CODEX_SID, 3)
    assert [t["kind"] for t in turns] == ["full", "delta", "delta"]
    assert [t["message_count"] for t in turns] == [4, 7, 9]
    assert [r["body"] for r in upstream.requests if r["path"] == "/v1/responses"] == sent
    assert _rebuilt(CODEX_SID, 3) == sent

    comps = requests.get(f"{relay.url}/api/v1/history/{CODEX_SID}/composition", timeout=5).json()["turns"]
    comp = _sane(comps[2]["composition"])
    chars = comp["chars"]
    # developer messages and the environment / AGENTS.md context count as system, the prompts as user text
    assert chars["system"] > chars["user_text"] > 0
    assert chars["user_text"] == len("say hi") + len("thanks é")
    assert chars["tool_use"] == len("exec_command") + len(json.dumps({"cmd": "echo hello-from-tool"}))
    assert chars["tool_result"] == len(json.loads(sent[2])["input"][6]["output"])
    assert chars["thinking_overhead"] == len("think")
    assert chars["assistant_text"] == len("done")
    assert chars["tool_schemas"] > 0 and comp["tools_by_server"]["builtin"]["tools"] > 0

    shown = _shown(relay, CODEX_SID, 1)
    assert shown["format"] == "responses" and shown["model"] == "gpt-5-codex"
    assert [m["role"] for m in shown["messages"]][:2] == ["developer", "developer"]
    assert shown["messages"][5]["blocks"][0]["type"] == "tool_use"
    assert shown["messages"][5]["blocks"][0]["name"] == "exec_command"
    assert shown["messages"][6]["blocks"][0]["type"] == "tool_result"
    assert shown["response"]["content"][0]["text"] == TEXT

    page = requests.get(f"{relay.url}/history/{CODEX_SID}", timeout=5)
    assert page.status_code == 200 and "<svg" in page.text
    turn_page = requests.get(f"{relay.url}/history/{CODEX_SID}/1", timeout=5)
    assert turn_page.status_code == 200 and "exec_command" in turn_page.text and TEXT in turn_page.text
    display = requests.get(f"{relay.url}/display/", timeout=5).text
    card = display[display.index(f'id="card-{CODEX_SID}"'):]
    card = card[:card.index("</article>")]
    assert "<svg" in card and "composition needs history capture" not in card
    assert "pruning applies to Claude Code (Anthropic) requests only" in card
    assert "thanks é" in card      # the last prompt, not Codex's environment context


def test_codex_chatgpt_mount_is_captured(relay, upstream):
    recorded = _recorded("codex-chatgpt/015-POST-backend-api_codex_responses.json")
    first = _dump(recorded["body"])
    second = copy.deepcopy(recorded["body"])
    second["input"].append({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "more"}]})
    sent = [first, _dump(second)]
    for body in sent:
        _post(relay, "/backend-api/codex/responses", body, {"session-id": CHATGPT_SID})
    # the mount's other calls are not model calls: nothing captured for them
    requests.get(relay.url + "/backend-api/wham/usage", timeout=5)
    turns = _turns(relay, CHATGPT_SID, 2)
    assert [t["kind"] for t in turns] == ["full", "delta"]
    assert _rebuilt(CHATGPT_SID, 2) == sent
    comp = _sane(requests.get(f"{relay.url}/api/v1/history/{CHATGPT_SID}/composition",
                              timeout=5).json()["turns"][1]["composition"])
    # the ChatGPT backend body offers its tools in an additional_tools input item
    offered = recorded["body"]["input"][0]["tools"]
    assert comp["chars"]["tool_schemas"] == sum(len(json.dumps(t, ensure_ascii=False)) for t in offered)
    assert comp["chars"]["user_text"] == len("say hi") + len("more")
    listed = requests.get(f"{relay.url}/api/v1/history", timeout=5).json()["sessions"]
    assert [s["session_id"] for s in listed] == [CHATGPT_SID]


def test_gemini_api_key_path_gets_a_session_and_is_captured(relay, upstream):
    router = _recorded("gemini/request-001-router-classifier.json")
    text = _recorded("gemini/request-002-text.json")
    headers = {"user-agent": GEMINI_UA, "x-goog-api-key": "test-gemini-key"}
    sid = conversation_id(text["body"], GEMINI_UA)
    assert sid == conversation_id(router["body"], GEMINI_UA)    # the router's call for the prompt: same session
    assert sid.startswith("gemini-")
    grown = copy.deepcopy(text["body"])
    grown["contents"] += [{"role": "model", "parts": [{"text": "hmm", "thought": True}, {"text": "Hi!"}]},
                          {"role": "user", "parts": [{"text": "run echo"}]},
                          {"role": "model", "parts": [{"functionCall": {"id": "c1", "name": "run_shell_command",
                                                                        "args": {"command": "echo hi"}}}]},
                          {"role": "user", "parts": [{"functionResponse": {"id": "c1", "name": "run_shell_command",
                                                                           "response": {"output": "hi"}}}]}]
    sent = [_dump(text["body"]), _dump(grown)]
    _post(relay, "/gemini" + router["path"], _dump(router["body"]), headers)
    for body in sent:
        _post(relay, "/gemini" + text["path"], body, headers)
    turns = _turns(relay, sid, 2)
    assert [t["kind"] for t in turns] == ["full", "delta"] and [t["message_count"] for t in turns] == [1, 5]
    assert _rebuilt(sid, 2) == sent
    side = _turns(relay, sid + ":side", 1)       # the model router's JSON call keeps out of the conversation
    assert len(side) == 1 and _rebuilt(sid + ":side", 1) == [_dump(router["body"])]

    rows = requests.get(f"{relay.url}/api/v1/requests", params={"limit": 10}, timeout=5).json()["requests"]
    assert {r["session_id"] for r in rows} == {sid}
    comp = _sane(requests.get(f"{relay.url}/api/v1/history/{sid}/composition",
                              timeout=5).json()["turns"][1]["composition"])
    chars = comp["chars"]
    assert chars["user_text"] == len("say hi") + len("run echo")
    assert chars["system"] == len(text["body"]["contents"][0]["parts"][0]["text"])     # the <session_context>
    assert chars["assistant_text"] == len("Hi!") and chars["thinking_overhead"] == len("hmm")
    assert chars["tool_use"] == len("run_shell_command") + len(json.dumps({"command": "echo hi"}))
    assert chars["tool_result"] == len("hi")
    assert chars["system_prompt"] == len(text["body"]["systemInstruction"]["parts"][0]["text"])
    declared = [d for t in text["body"]["tools"] for d in t.get("functionDeclarations") or []]
    assert comp["tools_by_server"]["builtin"]["tools"] == len({d["name"] for d in declared})

    shown = _shown(relay, sid, 1)
    assert shown["format"] == "gemini"
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant", "user", "assistant", "user"]
    assert shown["response"]["content"][0]["type"] == "text"
    assert shown["response"]["content"][0]["text"] == TEXT     # streamed in pieces, joined
    assert requests.get(f"{relay.url}/history/{sid}", timeout=5).status_code == 200
    assert requests.get(f"{relay.url}/history/{quote(sid + ':side')}/0", timeout=5).status_code == 200


def test_code_assist_turns_are_captured_under_the_body_session(relay, upstream):
    recorded = _recorded("gemini-code-assist/013-POST-v1internal_generateContent.json")
    sid = recorded["body"]["request"]["session_id"]
    tool = _recorded("gemini/request-tool-followup.json")["body"]
    # a conversation call as Code Assist wraps it: the envelope recorded, the request of the tool follow-up
    turn = copy.deepcopy(recorded["body"])
    turn["model"] = "gemini-2.5-pro"
    turn["request"] = {**tool, "session_id": sid}
    sent = [_dump(turn, indent=1)]
    headers = {"user-agent": recorded["headers"]["user-agent"]}
    _post(relay, "/v1internal:generateContent", _dump(recorded["body"]), headers)       # the router: side
    _post(relay, "/v1internal:streamGenerateContent?alt=sse", sent[0], headers)
    _post(relay, "/v1internal:retrieveUserQuota", b"{}", headers)                          # not a model call
    [only] = _turns(relay, sid, 1)
    assert only["kind"] == "full" and only["message_count"] == len(tool["contents"]) == 3
    assert _rebuilt(sid, 1) == sent
    assert _rebuilt(sid + ":side", 1) == [_dump(recorded["body"])]
    comp = _sane(requests.get(f"{relay.url}/api/v1/history/{sid}/composition",
                              timeout=5).json()["turns"][0]["composition"])
    assert comp["chars"]["tool_use"] > 0 and comp["chars"]["tool_result"] > 0 and comp["chars"]["system_prompt"] > 0
    shown = _shown(relay, sid, 0)
    assert shown["format"] == "code_assist" and shown["model"] == "gemini-2.5-pro"
    assert shown["response"]["content"][0]["text"] == TEXT
    display = requests.get(f"{relay.url}/display/", timeout=5).text
    card = display[display.index(f'id="card-{sid}"'):]
    assert "<svg" in card[:card.index("</article>")]
