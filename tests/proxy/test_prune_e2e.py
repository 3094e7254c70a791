"""Pruning through a real relay: what upstream receives, what is recorded, and the report."""
import json
import subprocess
import sys
import time

import pytest
import requests

from relay.costs import prices
from relay.costs.cost import cost_of
from relay.models import Usage
from relay.proxy.stages.prune.validate import check_request
from tests.fake_upstream import FakeUpstream
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


def _dollars(usages, price):
    return sum(cost_of(Usage(input_tokens=u["input_tokens"], cache_read_input_tokens=u["cache_read_input_tokens"],
                             cache_creation_input_tokens=u["cache_creation_input_tokens"],
                             cache_creation_5m_input_tokens=u["cache_creation_input_tokens"]), price)["total"]
               for u in usages)


def _tokens(usages, kind=None):
    kinds = [kind] if kind else ["input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"]
    return sum(u[k] for u in usages for k in kinds)


def _breakpoints(body):
    return json.dumps(body).count('"cache_control"')


@pytest.mark.parametrize("tier", ["standard", "aggressive"])
def test_measured_savings_of_a_claude_code_conversation_equal_what_upstream_measured(tier):
    """33 requests through a real relay in front of an upstream that counts the tokens it receives
    and bills cache reads as Anthropic does; the same requests unpruned straight to a second such
    upstream are the baseline. Every pruned request is valid and keeps its breakpoints, the
    messages upstream sees never change back, and relay's report equals upstream's measurement."""
    originals = cc_conversation.requests()
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in originals]
    session = f"measured-{tier}"
    baseline, pruned = FakeUpstream().start(), FakeUpstream().start()
    baseline.measure = pruned.measure = True
    try:
        for body in bodies:
            assert requests.post(baseline.url + "/v1/messages", data=body, timeout=30,
                                 headers={"content-type": "application/json"}).status_code == 200
        with RelayProcess(pruned.url, "--prune", tier) as relay:
            assert relay.wait_stderr(f"pruning {tier}")
            for body in bodies:
                resp = requests.post(relay.url + "/v1/messages", data=body, timeout=30,
                                     headers={"content-type": "application/json", "x-api-key": "sk-test",
                                              "X-Claude-Code-Session-Id": session})
                assert resp.status_code == 200, resp.text
            wait_rows(relay.url, len(bodies), session_id=session)
            deadline = time.monotonic() + 10
            while True:
                api = requests.get(relay.url + "/api/v1/prune", params={"session_id": session}, timeout=5).json()
                if api["prune"]["savings"]["total"]["requests"] == len(bodies) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        sent = [r["body"] for r in pruned.requests]
        before, after = baseline.usages, pruned.usages
    finally:
        baseline.stop()
        pruned.stop()
    assert len(sent) == len(bodies) == len(before) == len(after)
    for original, body in zip(originals, sent):
        assert check_request(json.loads(body), original=original) == []
        assert _breakpoints(json.loads(body)) == _breakpoints(original)
        assert json.loads(body)["messages"][-1]["content"][-1].get("cache_control") == cc_conversation.CC
    assert_never_back(sent)
    assert sum(map(len, sent)) < 0.8 * sum(map(len, bodies))
    price = prices.load().lookup("claude-opus-5-5")
    saved = api["prune"]["savings"]["total"]
    assert saved["requests"] == len(bodies)
    assert saved["before"]["tokens"] == _tokens(before) and saved["after"]["tokens"] == _tokens(after)
    assert saved["before"]["cache_read"] == _tokens(before, "cache_read_input_tokens")
    assert saved["after"]["cache_read"] == _tokens(after, "cache_read_input_tokens")
    assert saved["saved"]["tokens"] == _tokens(before) - _tokens(after) > 100_000
    assert saved["saved"]["dollars"] == pytest.approx(_dollars(before, price) - _dollars(after, price), abs=1e-5)
    assert saved["saved"]["dollars"] > 0
    [group] = api["prune"]["savings"]["by_model"]
    assert (group["tier"], group["model"]) == (tier, "claude-opus-5-5")
    assert report_cli(session) == api["prune"]
