"""The pure parts of capturing Codex and Gemini bodies: the cut that rebuilds them byte for byte,
which paths are model calls, and the session id of the Gemini API-key path."""
import json

import pytest

from relay.proxy.providers import gemini
from relay.proxy.stages.capture.stage import capture_format
from relay.sessions import wire
from relay.store.history_format import NotSplittable, compact_glue, expand_glue, join, split
from tests.relay_process import ROOT

DATA = ROOT / "tests" / "data" / "requests"
RECORDED = [("codex/request-001-text.json", wire.RESPONSES), ("codex/request-tool-followup.json", wire.RESPONSES),
            ("codex-chatgpt/015-POST-backend-api_codex_responses.json", wire.RESPONSES),
            ("gemini/request-001-router-classifier.json", wire.GEMINI), ("gemini/request-002-text.json", wire.GEMINI),
            ("gemini/request-tool-followup.json", wire.GEMINI),
            ("gemini-code-assist/013-POST-v1internal_generateContent.json", wire.CODE_ASSIST),
            ("claude/request-001-text.json", wire.ANTHROPIC)]
UA = "GeminiCLI-tui/0.61.0/gemini-2.5-pro (linux; x64; terminal)"


def _body(name):
    return json.loads((DATA / name).read_text())["body"]


def _rebuild(body, fmt):
    cut = split(body, wire.MESSAGES[fmt])
    texts = [raw for _, raw in cut["messages"]]
    return join(cut["glue"], cut["values"], texts, expand_glue(compact_glue(cut["message_glue"]), len(texts))), cut


@pytest.mark.parametrize("name,fmt", RECORDED)
@pytest.mark.parametrize("indent", [None, 1, 2])
def test_recorded_bodies_round_trip_exactly(name, fmt, indent):
    data = _body(name)
    body = json.dumps(data, indent=indent, ensure_ascii=indent is None).encode()
    text, cut = _rebuild(body, fmt)
    assert text.encode() == body
    assert wire.format_of(data) == fmt
    items = wire.field(data, ".".join(wire.MESSAGES[fmt]))
    assert [m for m, _ in cut["messages"]] == items
    assert len(wire.request_view(data)["messages"]) == len(items)      # one message per item


def test_odd_spacing_and_key_order_of_a_nested_body_survive():
    body = b' {"request" :\n{ "x" : {},"contents" : [ {"role":"user","parts":[]} ,\t{ } ] } , "model":"m"}\n'
    text, cut = _rebuild(body, wire.CODE_ASSIST)
    assert text.encode() == body
    assert cut["keys"] == ["request.x", "request.contents", "model"]


@pytest.mark.parametrize("body", [b'{}', b'{"input": "one string"}', b'{"request": {"contents": 1}}', b'[1]',
                                  b'{"request": {}} x'])
def test_bodies_without_their_array_are_not_split(body):
    with pytest.raises(NotSplittable):
        split(body, ("request", "contents") if b"request" in body else ("input",))


@pytest.mark.parametrize("path,fmt", [
    ("/v1/messages", wire.ANTHROPIC), ("/v1/responses", wire.RESPONSES),
    ("/backend-api/codex/responses", wire.RESPONSES),
    ("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", wire.GEMINI),
    ("/v1beta/models/gemini-2.5-pro:generateContent", wire.GEMINI),
    ("/v1internal:streamGenerateContent?alt=sse", wire.CODE_ASSIST), ("/v1internal:generateContent", wire.CODE_ASSIST),
    ("/v1beta/models/gemini-2.5-pro:countTokens", None), ("/v1internal:retrieveUserQuota", None),
    ("/backend-api/wham/usage", None), ("/v1/models", None), ("/v1/chat/completions", None)])
def test_only_model_calls_are_captured(path, fmt):
    assert capture_format(path) == fmt


def test_gemini_api_key_session_id_is_stable_over_a_conversation():
    router, text = _body("gemini/request-001-router-classifier.json"), _body("gemini/request-002-text.json")
    sid = gemini.conversation_id(text, UA)
    assert sid == gemini.conversation_id(router, UA) and sid.startswith("gemini-") and len(sid) == 31
    grown = dict(text, contents=text["contents"] + [{"role": "model", "parts": [{"text": "hi"}]},
                                                    {"role": "user", "parts": [{"text": "next"}]}])
    assert gemini.conversation_id(grown, UA.replace("gemini-2.5-pro", "gemini-3.8-flash")) == sid  # model ignored
    other = _body("gemini/request-tool-followup.json")
    assert gemini.conversation_id(other, UA) != sid                 # another first prompt, another session
    assert gemini.conversation_id(text, "google-genai-sdk/1.30.0") != sid   # another client
    assert gemini.conversation_id({"contents": []}, UA) is None
    assert gemini.conversation_id({"contents": [{"role": "model", "parts": [{"text": "x"}]}]}, UA) is None


def test_gemini_request_meta_uses_a_header_first_then_the_body():
    text = _body("gemini/request-002-text.json")
    body = json.dumps(text).encode()
    path = "/v1beta/models/gemini-3.8-flash:streamGenerateContent?alt=sse"
    assert gemini.request_meta(body, {"user-agent": UA}, path) == (
        "gemini-3.8-flash", True, gemini.conversation_id(text, UA))
    assert gemini.request_meta(body, {"user-agent": UA, "x-gemini-session-id": "s1"}, path)[2] == "s1"
    assert gemini.request_meta(b"not json", {"user-agent": UA}, path)[2] is None
    assert gemini.request_meta(body, {"user-agent": UA}, "/v1beta/models")[2] is None


def test_streamed_gemini_text_is_joined_and_calls_kept():
    parts = [{"text": "th", "thought": True}, {"text": "ink", "thought": True}, {"text": "Hi "}, {"text": "there"},
             {"functionCall": {"name": "f", "args": {}}}, {"text": "after", "thoughtSignature": "sig"}]
    assert gemini.assemble_content(parts) == [{"text": "think", "thought": True}, {"text": "Hi there"},
                                              {"functionCall": {"name": "f", "args": {}}},
                                              {"text": "after", "thoughtSignature": "sig"}]
    blocks = wire.response_blocks(wire.GEMINI, gemini.assemble_content(parts))
    assert [b["type"] for b in blocks] == ["thinking", "text", "tool_use", "text"]
