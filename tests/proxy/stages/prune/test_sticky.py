"""Sticky pruning decisions over a 33-request Claude Code-shaped conversation (issue 20): the
tiers do something under the moving breakpoint, and what was decided about a message holds."""
import json

import pytest

from relay.models import Exchange
from relay.present.exchanges import prune_report
from relay.proxy.stages.prune.stage import PruneStage
from relay.proxy.stages.prune.validate import check_request
from tests.proxy.stages.prune.builders import raw
from tests.proxy.stages.prune.conversation import REQUESTS, requests
from tests.proxy.stages.prune.sticky_check import assert_never_back, unmarked

APPLIED = {"applied", "sticky"}
SKIPPED = {"skipped_cost", "skipped_invalid", "skipped_sticky"}


def run(stage, bodies, session_id=None):
    """[(original body, sent bytes, changes)] for each request through the stage."""
    out = []
    for b in bodies:
        exchange = Exchange(id=1, ts=0.0, provider="anthropic", method="POST", path="/v1/messages",
                            session_id=session_id)
        sent = stage.request(exchange, raw(b))
        out.append((b, sent, exchange.changes))
    return out


def key(change):
    return change["where"], change["message"], change["strategy"], change["block"], change["sub"], change["action"]


@pytest.fixture(scope="module")
def conversations():
    bodies = requests()
    return {tier: run(PruneStage(tier), bodies) for tier in ("gentle", "standard", "aggressive")}


def test_standard_applies_edits_under_the_moving_breakpoint(conversations):
    runs = conversations["standard"]
    assert len(runs) == REQUESTS
    applied = [c for _, _, changes in runs for c in changes if c["decision"] == "applied"]
    assert {c["strategy"] for c in applied} >= {"oversized_tool_output", "old_thinking", "duplicate_reminders"}
    assert sum(len(sent) for _, sent, _ in runs) < 0.8 * sum(len(raw(b)) for b, _, _ in runs)


@pytest.mark.parametrize("tier", ["gentle", "standard", "aggressive"])
def test_every_request_is_valid_and_keeps_the_breakpoints(conversations, tier):
    for b, sent, _ in conversations[tier]:
        pruned = json.loads(sent)
        assert check_request(pruned, original=b) == []
        assert sent.count(b'"cache_control"') == raw(b).count(b'"cache_control"') == 2
        assert "cache_control" in pruned["messages"][-1]["content"][-1]


@pytest.mark.parametrize("tier", ["gentle", "standard", "aggressive"])
def test_the_prefix_sent_upstream_never_flip_flops(conversations, tier):
    runs = conversations[tier]
    assert not any(c["action"] == "drop_message" and c["decision"] in APPLIED
                   for _, _, changes in runs for c in changes)     # so sent and original indices agree
    assert_never_back([sent for _, sent, _ in runs])
    first = next(n for n, (_, _, changes) in enumerate(runs) if any(c["decision"] == "applied" for c in changes))
    for n in range(first + 1, len(runs)):
        sent = unmarked(json.loads(runs[n][1]))
        prev = unmarked(json.loads(runs[n - 1][1]))
        new = [c["message"] for c in runs[n][2] if c["decision"] == "applied" and c["where"] == "messages"]
        cut = min([*new, len(prev["messages"])])
        assert raw(sent["system"]) == raw(prev["system"]) and raw(sent["tools"]) == raw(prev["tools"])
        assert raw(sent["messages"][:cut]) == raw(prev["messages"][:cut]), f"request {n}"


@pytest.mark.parametrize("tier", ["gentle", "standard", "aggressive"])
def test_applied_stays_applied_and_skipped_stays_skipped(conversations, tier):
    applied_at, skipped_at = {}, {}
    for n, (_, _, changes) in enumerate(conversations[tier]):
        decisions = {key(c): c["decision"] for c in changes}
        for k, n0 in applied_at.items():
            assert decisions.get(k) == "sticky", (k, n0, n)
        for k, n0 in skipped_at.items():
            assert decisions.get(k, "skipped_sticky") not in APPLIED, (k, n0, n)
            if k in decisions:
                assert decisions[k] == "skipped_sticky"
        for k, d in decisions.items():
            if d == "applied":
                applied_at.setdefault(k, n)
            elif d in SKIPPED:
                skipped_at.setdefault(k, n)
    assert applied_at and skipped_at


def test_without_a_session_pruning_is_stateless_as_before():
    """Without a session (stateless, as before): decisions are made afresh every request."""
    runs = run(PruneStage("standard"), [{k: v for k, v in b.items() if k != "metadata"} for b in requests()])
    decisions = {c["decision"] for _, _, changes in runs for c in changes}
    assert not decisions & {"sticky", "skipped_sticky"}


def test_a_different_history_under_the_same_session_gets_no_sticky_decision():
    stage = PruneStage("standard")
    bodies = requests(12)
    run(stage, bodies)
    other = json.loads(json.dumps(bodies[-1]).replace("compiling", "building"))
    [(_, _, changes)] = run(stage, [other])
    oversized = [c for c in changes if c["strategy"] == "oversized_tool_output"]
    assert oversized and all(c["decision"] not in ("sticky", "skipped_sticky") for c in oversized)


def test_the_session_id_of_the_exchange_wins_and_sessions_are_bounded():
    stage = PruneStage("standard", max_sessions=2)
    bodies = requests(3)
    for sid in ("a", "b", "c"):
        run(stage, bodies, session_id=sid)
    assert len(stage.sessions) == 2 and "a" not in stage.sessions and "c" in stage.sessions
    run(stage, bodies[:1], session_id="b")       # b is now the most recent: d evicts c
    run(stage, bodies[:1], session_id="d")
    assert "b" in stage.sessions and "c" not in stage.sessions and "d" in stage.sessions
    [(_, _, changes)] = run(stage, bodies[2:3], session_id="a")    # a starts over
    assert not any(c["decision"] == "sticky" for c in changes)


def test_dry_run_sends_the_original_and_keeps_its_decisions():
    runs = run(PruneStage("standard", dry_run=True), requests(12))
    assert all(sent == raw(b) for b, sent, _ in runs)
    decisions = {c["decision"] for _, _, changes in runs for c in changes}
    assert "dry_run" in decisions and not decisions & {"applied", "sticky"} and "skipped_sticky" in decisions


def test_the_report_counts_sticky_edits_as_removed():
    rows = [{"tier": "standard", "strategy": "s", "decision": d, "edits": 1, "requests": 1, "bytes_removed": 10,
             "tokens_removed": 3, "cost_delta": -1.0} for d in ("applied", "sticky", "skipped_sticky", "dry_run")]
    assert prune_report(rows)["applied"] == {"edits": 2, "bytes_removed": 20, "tokens_removed": 6, "cost_delta": -2.0}
