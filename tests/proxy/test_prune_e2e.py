"""Pruning through a real relay: what upstream receives, what is recorded, and the report."""
import json
import subprocess
import sys

import pytest
import requests

from relay.proxy.stages.prune.validate import check_request
from tests.proxy.conftest import wait_rows
from tests.proxy.stages.prune import conversation as cc_conversation
from tests.proxy.stages.prune.sticky_check import assert_never_back
from tests.relay_process import ROOT, RelayProcess

LOG = "\n".join(f"line {i}: building module {i % 37} ... ok" for i in range(3000))  # ~100 KB of tool output


def conversation():
    return {"model": "claude-opus-5-5", "max_tokens": 64, "stream": False, "messages": [
        {"role": "user", "content": "build it"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash",
                                           "input": {"command": "make"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": LOG,
                                      "is_error": False}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Built."}]},
        {"role": "user", "content": "now test it"}]}


def send(relay, body):
    return requests.post(relay.url + "/v1/messages", data=body, timeout=30,
                         headers={"content-type": "application/json", "x-api-key": "sk-test",
                                  "X-Claude-Code-Session-Id": "prune-session"})


def report_cli(session_id=None):
    args = [sys.executable, str(ROOT / "relay.py"), "prune", "report", "--format", "json"]
    if session_id:
        args += ["--session-id", session_id]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["prune"]


@pytest.mark.parametrize("mode", ["apply", "dry-run"])
def test_prune_through_relay(upstream, mode):
    flags = ["--prune", "standard", "--prune-force"] + (["--prune-dry-run"] if mode == "dry-run" else [])
    body = json.dumps(conversation(), separators=(",", ":")).encode()
    with RelayProcess(upstream.url, *flags) as relay:
        assert relay.wait_stderr("pruning standard")
        resp = send(relay, body)
        assert resp.status_code == 200 and resp.json()["usage"]["output_tokens"] == 7
        [row] = wait_rows(relay.url, 1)
        assert row["request_bytes"] == len(body)
        sent = upstream.requests[0]["body"]
        api = requests.get(relay.url + "/api/v1/prune", params={"session_id": "prune-session"}, timeout=5).json()
    if mode == "dry-run":
        assert sent == body
        decisions = {r["decision"] for r in api["prune"]["by_strategy"]}
        assert decisions == {"dry_run"} and api["prune"]["applied"]["edits"] == 0
    else:
        pruned = json.loads(sent)
        assert len(sent) < len(body) // 3
        assert check_request(pruned) == []
        kept = pruned["messages"][2]["content"][0]
        assert kept["tool_use_id"] == "toolu_1" and "relay oversized_tool_output" in json.dumps(kept)
        applied = api["prune"]["applied"]
        assert applied["edits"] >= 1 and applied["tokens_removed"] > 10000
    strategies = {r["strategy"] for r in api["prune"]["by_strategy"]}
    assert "oversized_tool_output" in strategies
    assert report_cli("prune-session") == api["prune"]
    assert report_cli("someone-else")["by_strategy"] == []
    assert "Codex and Gemini CLI requests are never pruned" in api["prune"]["applies_to"]


def test_prune_report_says_pruning_is_anthropic_only():
    done = subprocess.run([sys.executable, str(ROOT / "relay.py"), "prune", "report", "--format", "plain"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "Pruning applies to Claude Code (Anthropic Messages, the /v1 mount) only; Codex and Gemini CLI " \
           "requests are never pruned." in done.stdout


def test_pruning_off_by_default_keeps_bytes(relay, upstream):
    body = json.dumps(conversation()).encode()
    assert send(relay, body).status_code == 200
    assert upstream.requests[0]["body"] == body
    wait_rows(relay.url, 1)
    assert requests.get(relay.url + "/api/v1/prune", timeout=5).json()["prune"]["by_strategy"] == []


def test_a_claude_code_conversation_through_relay_is_pruned_without_flip_flops(upstream):
    """33 requests, breakpoint moving to the newest message: standard removes tokens, every
    request sent is valid, and no message upstream sees goes back to an earlier form."""
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in cc_conversation.requests()]
    with RelayProcess(upstream.url, "--prune", "standard") as relay:
        assert relay.wait_stderr("pruning standard")
        for body in bodies:
            assert send(relay, body).status_code == 200
        wait_rows(relay.url, len(bodies))
        sent = [r["body"] for r in upstream.requests]
        # recorded under the header's session; the stage keyed its decisions on the body's metadata
        api = requests.get(relay.url + "/api/v1/prune", params={"session_id": "prune-session"}, timeout=5).json()
    assert len(sent) == len(bodies) and sum(map(len, sent)) < 0.8 * sum(map(len, bodies))
    for original, body in zip(bodies, sent):
        assert check_request(json.loads(body), original=json.loads(original)) == []
    assert_never_back(sent)
    decisions = {r["decision"] for r in api["prune"]["by_strategy"]}
    assert {"applied", "sticky"} <= decisions and api["prune"]["applied"]["tokens_removed"] > 100_000
