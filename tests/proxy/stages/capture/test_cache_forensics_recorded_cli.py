"""Cache forensics and MCP attribution on sessions the real Codex CLI 0.169.0 and Gemini CLI 0.61.0
sent through relay (recorded by tests/regen_cache_sequences.py into
tests/data/cache_sequences/{codex,gemini}/; the CLIs take seconds per run, so the tests replay the
saved bodies). Each session: a tool round trip (two requests), a resumed run with nothing changed,
and a resumed run with relay's own MCP server (`relay mcp`, 14 tools, named `relay`) added in the
CLI's config. Replayed through a real relay with history, with the cached tokens the fake upstream
reports set here; dollars by hand at gpt-5-codex's and gemini-2.5-pro's prices (input $1.25,
cached input $0.125 per million), on the tokens not read that the request paid in full."""
import json
import re

import pytest
import requests

from relay.proxy.providers import gemini
from relay.sessions import wire
from relay.sessions.composition import compose_request, tool_server
from tests.proxy.stages.capture.forensics import cache_of, relay, upstream  # noqa: F401  (module fixtures)
from tests.relay_process import ROOT

RECORDED = ROOT / "tests" / "data" / "cache_sequences"
SESSION = "00000000-0000-4000-8000-00000000c0de"
GEMINI_UA = "GeminiCLI-tui/0.61.0/gemini-2.5-pro (linux; x64; terminal)"
GEMINI_PATH = "/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
RELAY_TOOLS = {"cache_forensics", "cli_delegate", "cli_probe", "cli_status", "cost_summary", "history_sessions",
               "history_turn", "orch_delegate", "orch_history", "quota_status", "relay_stats", "session_history",
               "session_scan", "session_turns"}
PER_M = 1e6


def _recorded(cli):
    runs = json.loads((RECORDED / cli / "runs.json").read_text())
    return runs, [p.read_bytes() for p in sorted((RECORDED / cli).glob("turn-*.json"))]


CODEX_RUNS, CODEX = _recorded("codex")
GEMINI_RUNS, GEMINI = _recorded("gemini")


@pytest.mark.parametrize("runs,bodies,client", [(CODEX_RUNS, CODEX, "codex 0.169.0"),
                                                (GEMINI_RUNS, GEMINI, "gemini 0.61.0")])
def test_the_recordings_are_the_sessions_described(runs, bodies, client):
    assert runs["client"] == client
    assert [(r["run"], r["requests"]) for r in runs["runs"]] == [("hi", 2), ("resumed", 1), ("mcp", 1)]
    assert len(bodies) == 4
    for body in bodies:     # scrubbed: no key, no scratch dir
        assert b"sk-regen" not in body and b"regen-gemini-key" not in body and b"relay-regen" not in body


def test_mcp_tool_names_on_the_wire_map_to_their_server():
    codex = json.loads(CODEX[3])
    [space] = [t for t in codex["tools"] if t.get("type") == "namespace" and t["name"].startswith("mcp__")]
    assert space["name"] == "mcp__relay" and {t["name"] for t in space["tools"]} == RELAY_TOOLS
    declared = [d["name"] for t in json.loads(GEMINI[3])["tools"] for d in t["functionDeclarations"]]
    assert {n for n in declared if n.startswith("mcp_")} == {"mcp_relay_" + n for n in RELAY_TOOLS}
    assert tool_server("mcp__relay") == tool_server("mcp_relay_cli_status") == "relay"
    assert tool_server("mcp__linear__create_issue") == "linear"
    assert tool_server("mcp_my_db_query") == "my"          # Gemini's `_` is ambiguous: its own parse
    for builtin in ("multi_agent_v1", "run_shell_command", "exec_command", "mcp_", "mcp_relay", None):
        assert tool_server(builtin) == "builtin"


@pytest.mark.parametrize("bodies", [CODEX, GEMINI], ids=["codex", "gemini"])
def test_the_window_splits_the_recorded_mcp_server_out(bodies):
    before = compose_request(wire.request_view(json.loads(bodies[2])))["tools_by_server"]
    after = compose_request(wire.request_view(json.loads(bodies[3])))["tools_by_server"]
    assert set(before) == {"builtin"} and set(after) == {"builtin", "relay"}
    assert after["relay"]["tools"] == len(RELAY_TOOLS) and after["relay"]["tokens"] > 1000


def test_a_resumed_gemini_run_with_an_mcp_server_stays_in_the_session():
    # The resumed run re-renders the session context with the server's instructions in it.
    first, with_mcp = json.loads(GEMINI[0]), json.loads(GEMINI[3])
    assert "<loaded_context>" in with_mcp["contents"][0]["parts"][0]["text"]
    assert "<loaded_context>" not in first["contents"][0]["parts"][0]["text"]
    ids = {gemini.conversation_id(json.loads(b), GEMINI_UA) for b in GEMINI}
    assert len(ids) == 1
    moved = dict(first, contents=[{"role": "user", "parts": [
        {"text": re.sub(r"Today's date is [^\n]*", "Today's date is Friday, January 1, 2027.",
                        first["contents"][0]["parts"][0]["text"]).replace("/scratch/project/\n",
                                                                           "/scratch/project/\n├───notes.md\n")},
        first["contents"][0]["parts"][1]]}])
    assert gemini.conversation_id(moved, GEMINI_UA) in ids      # another day, a new file: the same session



def _post(relay, path, body, usage, headers):
    r = requests.post(relay.url + path, data=body, timeout=10,
                      headers={"content-type": "application/json", "x-fake-usage": json.dumps(usage), **headers})
    assert r.status_code == 200, r.text


def test_codex_resumed_turn_is_no_break_and_the_mcp_server_is_tools_changed(relay):
    # (prompt tokens, cached): the clean turns read the whole previous prompt; the MCP run only
    # the instructions cached long before.
    usages = [(30000, 4096), (31000, 29952), (32000, 31000), (34000, 4096)]
    for body, (prompt, cached) in zip(CODEX, usages):
        usage = {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": cached}, "output_tokens": 7,
                 "total_tokens": prompt + 7}
        _post(relay, "/openai/v1/responses", body, usage, {"session-id": SESSION})
    data = cache_of(relay, SESSION, 4)
    assert data["not_analysed"] == 0
    [b] = data["breaks"]
    assert b["turn"] == 3 and b["cause"] == "tools_changed" and b["caching"] == "automatic"
    assert b["detail"]["servers"] == ["builtin", "relay"]
    [space] = [t for t in b["detail"]["added"] if t["server"] == "relay"]
    assert space["name"] == "mcp__relay" and set(space["tools"]) == RELAY_TOOLS
    # Codex offers its MCP resource tools as soon as any server is configured: built-in
    assert {t["name"] for t in b["detail"]["added"] if t["server"] == "builtin"} == \
        {"list_mcp_resources", "list_mcp_resource_templates", "read_mcp_resource"}
    assert b["expected_read"] == 32000 and b["tokens"] == 32000 - 4096
    assert b["dollars"] == pytest.approx(27904 * (1.25 - 0.125) / PER_M)
    assert data["window"]["servers"]["relay"]["tools"] == len(RELAY_TOOLS)


def test_gemini_resume_rewrites_the_tool_response_and_the_mcp_server_is_tools_changed(relay):
    # Gemini CLI's --resume restores the tool response twice in the message after the call.
    tool_call, resumed = json.loads(GEMINI[1])["contents"][2], json.loads(GEMINI[2])["contents"][2]
    assert len(tool_call["parts"]) == 1 and resumed["parts"] == tool_call["parts"] * 2
    sid = gemini.conversation_id(json.loads(GEMINI[0]), GEMINI_UA)
    # (prompt tokens, cached): the resumed request reads up to the rewritten message only
    usages = [(20000, 2048), (21000, 19800), (22000, 15000), (24000, 2048)]
    for body, (prompt, cached) in zip(GEMINI, usages):
        usage = {"promptTokenCount": prompt, "cachedContentTokenCount": cached, "candidatesTokenCount": 7,
                 "thoughtsTokenCount": 0, "totalTokenCount": prompt + 7}
        _post(relay, GEMINI_PATH, body, usage, {"user-agent": GEMINI_UA})
    data = cache_of(relay, sid, 4)
    assert data["not_analysed"] == 0
    resumed_break, mcp_break = data["breaks"]
    assert resumed_break["turn"] == 2 and resumed_break["cause"] == "messages_edited"
    assert resumed_break["detail"]["message"] == 2 and resumed_break["detail"]["kind"] == "rewritten"
    assert resumed_break["tokens"] == 21000 - 15000
    assert resumed_break["dollars"] == pytest.approx(6000 * (1.25 - 0.125) / PER_M)
    assert mcp_break["turn"] == 3 and mcp_break["cause"] == "tools_changed"
    assert mcp_break["detail"]["servers"] == ["relay"]
    assert {t["name"] for t in mcp_break["detail"]["added"]} == {"mcp_relay_" + n for n in RELAY_TOOLS}
    assert mcp_break["expected_read"] == 22000 and mcp_break["tokens"] == 22000 - 2048
    assert mcp_break["dollars"] == pytest.approx(19952 * (1.25 - 0.125) / PER_M)
    assert data["window"]["servers"]["relay"]["tools"] == len(RELAY_TOOLS)
