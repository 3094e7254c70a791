"""The official MCP Python client starts `relay mcp` over stdio, lists the tools with their schemas
and calls each one, against a database filled by a real relay proxying a fake upstream."""
import json
import os
import sys

import anyio
import pytest
import requests

from tests import session_homes
from tests.orch import fake_cli
from tests.proxy.conftest import messages_body, wait_rows
from tests.relay_process import ROOT

SESSION = "sess-mcp-1"
TOOLS = {"cli_status", "cli_probe", "cli_delegate", "orch_delegate", "orch_history", "relay_stats", "session_turns",
         "session_history", "session_scan", "cost_summary", "quota_status", "history_sessions", "history_turn",
         "cache_forensics"}


async def _session(env, body):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=sys.executable, args=[str(ROOT / "relay.py"), "mcp"], env=env,
                                   cwd=str(ROOT))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await body(session)


def run_client(body, env=None):
    return anyio.run(_session, dict(os.environ if env is None else env), body)


def structured(result):
    assert not result.is_error, result.content
    return result.structured_content if result.structured_content is not None else json.loads(result.content[0].text)


@pytest.fixture
def filled(relay, upstream, tmp_path, monkeypatch):
    """Two requests of one session through the real proxy, session files in place, a fake gemini."""
    for _ in range(2):
        answer = requests.post(f"{relay.url}/v1/messages", data=messages_body(),
                               headers={"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01",
                                        "content-type": "application/json", "x-claude-code-session-id": SESSION},
                               timeout=30)
        assert answer.status_code == 200
        _ = answer.content   # read the whole body: the exchange must be complete before waiting for its rows
    wait_rows(relay.url, 2, session_id=SESSION)
    files = session_homes.populate()
    bin_dir = tmp_path / "bin"
    fake_cli.install(bin_dir, "gemini")
    monkeypatch.setenv("PATH", fake_cli.path_with(bin_dir))
    return files


def test_every_tool_is_listed_with_a_schema_and_answers(filled, relay):
    scan_id = session_homes._session_id(filled["session-tool-bash"])

    async def body(session):
        listed = (await session.list_tools()).tools
        out = {"tools": {t.name: t.input_schema for t in listed}}
        calls = {"cli_status": {}, "cli_probe": {"cli": "gemini"},
                 "cli_delegate": {"cli": "gemini", "task": "write tests for foo.py", "timeout": 60},
                 "orch_delegate": {"task": "again", "strategy": "round_robin"},
                 "orch_history": {"limit": 10}, "relay_stats": {}, "session_turns": {"session_id": SESSION},
                 "session_history": {}, "session_scan": {"session_id": scan_id}, "cost_summary": {"since": "7d"},
                 "quota_status": {}, "history_sessions": {}}
        for name, args in calls.items():
            out[name] = structured(await session.call_tool(name, args))
        return out

    got = run_client(body)
    schemas = got["tools"]
    assert set(schemas) == TOOLS
    delegate_props = schemas["cli_delegate"]["properties"]
    assert schemas["cli_delegate"]["required"] == ["cli", "task"]
    assert delegate_props["cli"]["enum"] == ["claude", "codex", "gemini"] and delegate_props["task"]["description"]
    assert set(schemas["orch_delegate"]["properties"]["strategy"]["enum"]) == {"first", "cheapest", "least_quota",
                                                                                "round_robin"}

    status = {c["name"]: c for c in got["cli_status"]["clis"]}
    assert got["cli_status"]["installed"] == ["gemini"] and status["gemini"]["version"] == "1.2.3"
    assert got["cli_probe"]["name"] == "gemini" and got["cli_probe"]["through_relay"] is False
    assert got["cli_delegate"]["status"] == "ok" and got["cli_delegate"]["output"] == "done by gemini"
    assert got["orch_delegate"]["cli"] == "gemini" and got["orch_delegate"]["strategy"] == "round_robin"
    history = got["orch_history"]
    assert [d["strategy"] for d in history["delegations"]] == ["round_robin", "explicit"]
    assert history["stats"]["by_cli"][0]["ok"] == 2 and history["stats"]["by_cli"][0]["total_tokens"] == 60
    assert got["relay_stats"]["counts"]["requests"] == 2 and got["relay_stats"]["delegations"]["ok"] == 2
    assert got["relay_stats"]["db_path"] == str(relay_db())
    turns = got["session_turns"]
    # the same turns presenter as /api/v1/turns/<id>: newest first, tokens by kind, cost and zone
    assert turns["session_id"] == SESSION and turns["total"]["turns"] == 2
    assert [t["tokens"]["cache_read"] for t in turns["turns"]] == [3000, 3000]
    assert turns["turns"][0]["ts"] >= turns["turns"][1]["ts"] and turns["zone"] == "ok"
    assert got["session_history"]["sessions"][0]["session_id"] == SESSION
    assert got["history_sessions"]["sessions"] == []     # this relay runs without history capture
    assert got["session_scan"]["session"]["session_id"] == scan_id
    assert isinstance(got["session_scan"]["session"]["findings"], list)
    assert got["cost_summary"]["sources"]["proxy"] == 2 and got["cost_summary"]["by"] == "model"
    assert got["quota_status"]["source"] == "measured" and got["quota_status"]["headline"]["utilization_pct"] == 12.0

    # The API shows the same delegations the MCP tools recorded.
    api = requests.get(f"{relay.url}/api/v1/delegations", timeout=5).json()["delegations"]
    assert [d["id"] for d in api] == [d["id"] for d in history["delegations"]]
    stats = requests.get(f"{relay.url}/api/v1/delegations/stats", timeout=5).json()["stats"]
    assert stats == history["stats"]


def test_history_turn_gives_the_whole_conversation(history_relay):
    """MCP history_turn answers what /api/v1/history/<id>/turns/<n> answers: every message in full."""
    from tests.web.test_pages_i18 import LONG_MESSAGE, TOOL_OUTPUT, send_conversation
    send_conversation(history_relay, "sess-mcp-history")

    async def body(session):
        return (structured(await session.call_tool("history_turn", {})),
                await session.call_tool("history_turn", {"session_id": "sess-mcp-history", "turn": 9}))

    turn, missing = run_client(body)
    api = requests.get(f"{history_relay.url}/api/v1/history/sess-mcp-history/turns/0", timeout=5).json()["turn"]
    assert turn == api
    blocks = [b for m in turn["messages"] for b in m["blocks"]]
    assert any(b.get("text") == LONG_MESSAGE for b in blocks)
    assert any(b["type"] == "tool_result" and b["text"] == TOOL_OUTPUT for b in blocks)
    assert missing.is_error and "no captured turn 9" in missing.content[0].text


def relay_db():
    from relay import paths
    return paths.db_path()


def test_errors_are_tool_errors_with_a_clear_message_and_no_server_needed(tmp_path):
    async def body(session):
        return [await session.call_tool("session_turns", {"session_id": "nope"}),
                await session.call_tool("cli_delegate", {"cli": "codex", "task": "x"}),
                await session.call_tool("cost_summary", {"since": "yesterday-ish"}),
                await session.call_tool("cli_probe", {"cli": "vim"}),
                await session.call_tool("relay_stats", {}),
                await session.call_tool("session_scan", {})]

    env = dict(os.environ, PATH=fake_cli.path_with(tmp_path / "empty"))
    turns, delegate, cost, probe, stats, scan = run_client(body, env)
    assert scan.is_error and "no session files changed in the last 7 days" in scan.content[0].text
    assert turns.is_error and "no turns recorded for session 'nope'" in turns.content[0].text
    assert delegate.is_error and "codex is not installed" in delegate.content[0].text
    assert cost.is_error and "yesterday-ish" in cost.content[0].text
    assert probe.is_error  # schema validation: vim is not one of the CLIs
    # No relay serve anywhere: the tools still answer from the database.
    assert structured(stats)["server"]["running"] is False


def test_relay_mcp_never_loads_gevent_or_flask():
    import subprocess
    code = ("import sys; from relay.mcp.server import build; build(); "
            "print(sorted(m for m in ('gevent', 'flask', 'werkzeug') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
