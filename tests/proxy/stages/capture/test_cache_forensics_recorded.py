"""Cache forensics on a session the real Claude Code 2.1.330 sent through relay (recorded by
tests/regen_cache_sequences.py into tests/data/cache_sequences/claude-code/: running the CLI takes
seconds per turn, so the test replays the saved bodies). The runs: "say hi" (a Bash round trip,
two requests), a resumed turn with no change, a resumed turn with an MCP server added (Claude Code
announces its tools in a system message appended at the end: the prefix is kept), and the same
server with tool search off (its tools join `tools`: a break). Replayed through a real relay with
history and usage built here; dollars by hand at claude-opus-5-5's prices (5m write $5, read $0.20
per million)."""
import json

import pytest
import requests

from relay.costs import cache_breaks
from tests.proxy.stages.capture.forensics import cache_of, relay, upstream  # noqa: F401  (module fixtures)
from tests.relay_process import ROOT

RECORDED = ROOT / "tests" / "data" / "cache_sequences" / "claude-code"
RUNS = json.loads((RECORDED / "runs.json").read_text())["runs"]
BODIES = [p.read_bytes() for p in sorted(RECORDED.glob("turn-*.json"))]
SESSION = "00000000-0000-4000-8000-00000000c0de"
MCP_TOOLS = 14          # relay's own MCP server, `relay mcp`


def _usage(read, write):
    return {"input_tokens": 8, "cache_read_input_tokens": read, "cache_creation_input_tokens": write,
            "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0}}


def test_the_recording_is_the_session_described():
    assert [r["run"] for r in RUNS] == ["hi", "resumed", "mcp", "mcp-tools"]
    assert sum(r["requests"] for r in RUNS) == len(BODIES) == 5
    assert all(b"sk-ant" not in body for body in BODIES)


def test_unchanged_turns_keep_their_prefix_and_the_tool_change_is_named():
    bodies = [json.loads(b) for b in BODIES]
    # Claude Code re-sends an earlier message as a plain string where it sent one text block
    # (with the breakpoint): the same tokens, no change.
    assert isinstance(bodies[0]["messages"][1]["content"], list)
    assert isinstance(bodies[1]["messages"][1]["content"], str)
    for prev, cur in zip(bodies[:3], bodies[1:4]):
        assert cache_breaks.first_difference(prev, cur) is None
    assert "mcp__relay__cost_summary" in json.dumps(bodies[3]["messages"][-1])      # announced, not in tools
    cause, detail, _ = cache_breaks.first_difference(bodies[3], bodies[4])
    assert cause == "tools_changed" and "relay" in detail["servers"]
    assert len([t for t in detail["added"] if t["server"] == "relay"]) == MCP_TOOLS


def test_the_replayed_session_breaks_once_when_the_mcp_tools_join_the_tool_list(relay):
    usages = [_usage(0, 20000), _usage(20000, 300), _usage(20300, 200), _usage(20500, 400), _usage(0, 26000)]
    for body, usage in zip(BODIES, usages):
        r = requests.post(f"{relay.url}/v1/messages?beta=true", data=body, timeout=10,
                          headers={"content-type": "application/json", "x-fake-usage": json.dumps(usage)})
        assert r.status_code == 200, r.text
    data = cache_of(relay, SESSION, len(BODIES))
    assert data["not_analysed"] == 0
    [b] = data["breaks"]          # the resumed turn and the announced MCP server read everything
    assert b["turn"] == 4 and b["cause"] == "tools_changed" and "relay" in b["detail"]["servers"]
    assert b["expected_read"] == 20900 and b["tokens"] == 20900 and b["ttl"] == "5m"
    assert b["dollars"] == pytest.approx(20900 * (5.00 - 0.20) / 1e6)
