"""Cache forensics of automatic prompt caching through a real relay with --history and the fake
upstream: Codex's OpenAI Responses bodies (usage.input_tokens_details.cached_tokens) and Gemini
CLI's Code Assist bodies (usageMetadata.cachedContentTokenCount), grown from the bodies the real
CLIs sent. Expected read = the previous request's whole prompt; dollars by hand at relay's prices
(gpt-5-codex and gemini-2.5-pro: input $1.25, cached input $0.125 per million; gemini-2.5-pro past
200k tokens: $2.50 and $0.25), no write premium, on the tokens not read that the request paid in
full (at most its uncached input)."""
import copy
import json

import pytest
import requests

from tests.proxy.stages.capture.forensics import cache_of, one_break, plant_gap, relay, upstream  # noqa: F401  (module fixtures)
from tests.relay_process import ROOT

DATA = ROOT / "tests" / "data" / "requests"
CODEX_BODY = json.loads((DATA / "codex" / "request-001-text.json").read_text())["body"]
GEMINI_BODY = json.loads((DATA / "gemini" / "request-tool-followup.json").read_text())["body"]
PER_M = 1e6



# --- Codex: OpenAI Responses ---------------------------------------------------------------------

def _said(role, text):
    kind = "output_text" if role == "assistant" else "input_text"
    return {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}


def _codex(relay, sid, body, prompt, cached):
    """One Responses request whose usage reports `prompt` input tokens, `cached` of them cached."""
    usage = {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": cached},
             "output_tokens": 7, "total_tokens": prompt + 7}
    r = requests.post(f"{relay.url}/openai/v1/responses", data=json.dumps(body), timeout=10,
                      headers={"content-type": "application/json", "session-id": sid,
                               "x-fake-usage": json.dumps(usage)})
    assert r.status_code == 200, r.text


def _grown(body, *items):
    out = copy.deepcopy(body)
    out["input"] += list(items)
    return out


def _codex_pair(relay, sid, second, prompt, cached):
    """The recorded first request (30,000 tokens, of which 4,096 of Codex's instructions were still
    cached from an earlier session: a usage that reports caching), then `second`."""
    _codex(relay, sid, CODEX_BODY, 30000, 4096)
    _codex(relay, sid, second, prompt, cached)
    return one_break(relay, sid)


NEXT = (_said("assistant", "Hi!"), _said("user", "next"))


def test_a_clean_codex_turn_reading_the_whole_previous_prompt_is_no_break(relay):
    sid = "cx-clean"
    _codex(relay, sid, CODEX_BODY, 30000, 0)
    _codex(relay, sid, _grown(CODEX_BODY, *NEXT), 31000, 29952)      # 128-token steps: 48 short is noise
    data = cache_of(relay, sid, 2)
    assert data["breaks"] == [] and data["not_analysed"] == 0 and data["totals"]["dollars"] == 0


def test_codex_mcp_server_reconnecting_with_one_more_tool(relay):
    more = _grown(CODEX_BODY, *NEXT)
    more["tools"] = more["tools"] + [{"type": "function", "name": "mcp__linear__create_issue",
                                      "description": "new", "parameters": {"type": "object"}}]
    b = _codex_pair(relay, "cx-tools", more, 32500, 1024)
    assert b["cause"] == "tools_changed" and b["caching"] == "automatic" and b["ttl"] == "5m"
    assert b["detail"]["added"] == [{"name": "mcp__linear__create_issue", "server": "linear"}]
    assert b["expected_read"] == 30000 and b["tokens"] == 30000 - 1024 and b["cache_write"] == 0
    assert b["dollars"] == pytest.approx(28976 * (1.25 - 0.125) / PER_M)


def test_codex_instructions_edited_are_a_system_change(relay):
    edited = _grown(CODEX_BODY, *NEXT)
    text = edited["input"][0]["content"][0]["text"]
    edited["input"][0]["content"][0]["text"] = text.replace("Codex CLI", "Codex CLl", 1)
    b = _codex_pair(relay, "cx-system", edited, 31000, 0)
    assert b["cause"] == "system_changed" and b["detail"]["block"] == 0
    assert "Codex CLI" in b["detail"]["diff"]["before"] and "Codex CLl" in b["detail"]["diff"]["after"]
    assert b["tokens"] == 30000 and b["dollars"] == pytest.approx(30000 * 1.125 / PER_M)


def test_codex_instructions_field_edited(relay):
    sid = "cx-instructions"
    first = dict(CODEX_BODY, instructions="You are Codex. Be brief.")
    _codex(relay, sid, first, 30000, 4096)
    _codex(relay, sid, _grown(dict(first, instructions="You are Codex. Be thorough."), *NEXT), 31000, 0)
    b = one_break(relay, sid)
    assert b["cause"] == "system_changed" and b["detail"]["block"] == 0
    assert "brief" in b["detail"]["diff"]["before"] and "thorough" in b["detail"]["diff"]["after"]


def test_codex_edited_earlier_input_item(relay):
    edited = _grown(CODEX_BODY, *NEXT)
    edited["input"][3] = _said("user", "say hi, edited")
    b = _codex_pair(relay, "cx-edit", edited, 31000, 4096)
    assert b["cause"] == "messages_edited" and b["detail"]["message"] == 3 and b["detail"]["role"] == "user"
    assert b["detail"]["kind"] == "rewritten"
    # 25,904 not read; the request paid 26,904 in full, so all 25,904 are charged
    assert b["tokens"] == 25904 and b["dollars"] == pytest.approx(25904 * 1.125 / PER_M)


def test_codex_six_minute_gap_past_the_assumed_ttl(relay, monkeypatch):
    sid = "cx-ttl"
    _codex(relay, sid, CODEX_BODY, 30000, 4096)
    _codex(relay, sid, _grown(CODEX_BODY, *NEXT), 31000, 0)
    plant_gap(relay, monkeypatch, sid, 1, 360)
    b = one_break(relay, sid)
    assert b["cause"] == "ttl_expired" and b["detail"] == {"gap_s": 360.0, "ttl": "5m", "ttl_assumed": True}
    assert b["dollars"] == pytest.approx(30000 * 1.125 / PER_M)


def test_codex_24h_retention_is_the_ttl_it_asked_for(relay, monkeypatch):
    sid = "cx-24h"
    first = dict(CODEX_BODY, prompt_cache_retention="24h")
    _codex(relay, sid, first, 30000, 4096)
    _codex(relay, sid, _grown(first, *NEXT), 31000, 0)
    plant_gap(relay, monkeypatch, sid, 1, 360)
    b = one_break(relay, sid)      # six minutes is well within a day: the provider just missed
    assert b["cause"] == "unknown" and b["ttl"] == "24h"


def test_codex_model_switch(relay):
    switched = dict(_grown(CODEX_BODY, *NEXT), model="gpt-5")
    b = _codex_pair(relay, "cx-model", switched, 31000, 0)
    assert b["cause"] == "model_changed" and b["detail"] == {"before": "gpt-5-codex", "after": "gpt-5"}
    assert b["dollars"] == pytest.approx(30000 * 1.125 / PER_M)


def test_codex_compaction_pays_only_the_input_it_sent(relay):
    compacted = copy.deepcopy(CODEX_BODY)
    compacted["input"] = CODEX_BODY["input"][:2] + [_said("user", "Summary of the conversation so far.")]
    b = _codex_pair(relay, "cx-compact", compacted, 12000, 0)
    assert b["cause"] == "messages_edited" and b["detail"]["kind"] == "compaction"
    # 30,000 were not read, but this request only sent 12,000: those are what it paid in full
    assert b["tokens"] == 30000 and b["dollars"] == pytest.approx(12000 * 1.125 / PER_M)


def test_codex_usage_that_never_reports_a_cached_token_is_not_analysed(relay):
    sid = "cx-uncached"
    _codex(relay, sid, CODEX_BODY, 30000, 0)
    _codex(relay, sid, _grown(CODEX_BODY, *NEXT), 31000, 0)
    data = cache_of(relay, sid, 2)
    assert data["breaks"] == [] and data["not_analysed"] == 2


# --- Gemini CLI: Code Assist ---------------------------------------------------------------------

def _code_assist(relay, sid, request, prompt, cached):
    body = {"model": "gemini-2.5-pro", "project": "fake-project", "user_prompt_id": sid + "#1",
            "request": dict(request, session_id=sid)}
    usage = {"promptTokenCount": prompt, "cachedContentTokenCount": cached, "candidatesTokenCount": 7,
             "thoughtsTokenCount": 0, "totalTokenCount": prompt + 7}
    r = requests.post(f"{relay.url}/v1internal:streamGenerateContent?alt=sse", data=json.dumps(body), timeout=10,
                      headers={"content-type": "application/json", "x-fake-usage": json.dumps(usage)})
    assert r.status_code == 200, r.text


def _gemini_next(request):
    out = copy.deepcopy(request)
    out["contents"] += [{"role": "model", "parts": [{"text": "done"}]}, {"role": "user", "parts": [{"text": "next"}]}]
    return out


def test_code_assist_clean_turn_then_a_declaration_added(relay):
    sid = "ca-tools"
    second, third = _gemini_next(GEMINI_BODY), _gemini_next(_gemini_next(GEMINI_BODY))
    third["tools"][0]["functionDeclarations"].append({"name": "lint_file", "description": "lint",
                                                      "parameters": {"type": "OBJECT"}})
    _code_assist(relay, sid, GEMINI_BODY, 20000, 0)
    _code_assist(relay, sid, second, 21000, 19800)        # read the whole previous prompt, near enough
    _code_assist(relay, sid, third, 22000, 2048)
    data = cache_of(relay, sid, 3)
    [b] = data["breaks"]
    assert b["turn"] == 2 and b["cause"] == "tools_changed" and b["caching"] == "automatic"
    assert b["detail"]["added"] == [{"name": "lint_file", "server": "builtin"}]
    assert b["expected_read"] == 21000 and b["tokens"] == 18952
    assert b["dollars"] == pytest.approx(18952 * 1.125 / PER_M)


def test_code_assist_system_instruction_change(relay):
    sid = "ca-system"
    second = _gemini_next(GEMINI_BODY)
    second["systemInstruction"] = {"parts": [{"text": "You are an interactive CLI agent. " + "x" * 40}]}
    _code_assist(relay, sid, GEMINI_BODY, 20000, 2048)      # the CLI's prompt, cached by an earlier session
    _code_assist(relay, sid, second, 21000, 1000)
    b = one_break(relay, sid)
    assert b["cause"] == "system_changed" and b["detail"]["block"] == 0
    assert "non-interactive" in b["detail"]["diff"]["before"] and "interactive CLI" in b["detail"]["diff"]["after"]
    assert b["tokens"] == 19000 and b["dollars"] == pytest.approx(19000 * 1.125 / PER_M)


def test_code_assist_long_context_break_at_the_long_rates(relay):
    sid = "ca-long"
    second = _gemini_next(GEMINI_BODY)
    second["contents"][0] = {"role": "user", "parts": [{"text": "a rewritten first prompt"}]}
    _code_assist(relay, sid, GEMINI_BODY, 240000, 2048)
    _code_assist(relay, sid, second, 250000, 0)
    b = one_break(relay, sid)
    assert b["cause"] == "messages_edited" and b["detail"]["message"] == 0
    assert b["tokens"] == 240000 and b["dollars"] == pytest.approx(240000 * (2.50 - 0.25) / PER_M)
