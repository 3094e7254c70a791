"""engine.prune: untouched bytes when there is nothing to do, the validation fallback,
serialization in the client's style, the real Claude Code bodies, and the stage."""
import json
from types import SimpleNamespace

import pytest

from relay.models import Exchange
from relay.proxy.pipeline import Pipeline
from relay.proxy.stages import default_stages
from relay.proxy.stages import prune as prune_pkg
from relay.proxy.stages.prune import PruneStage, prune, strategies
from relay.proxy.stages.prune.edits import DROP, make_edit
from relay.proxy.stages.prune.validate import check_request
from tests.conftest import REQUESTS
from tests.proxy.stages.prune.builders import asst, bash_pair, body, raw, read_pair, system_entry, text, user
from tests.proxy.stages.prune.test_strategies import ACCESS, FILE_A, REMINDER

FIXTURES = [p for p in sorted((REQUESTS / "claude").glob("request-*.json"))
            if json.loads(p.read_text())["body"]]
assert len(FIXTURES) >= 4, "the recorded request bodies are missing from tests/data/requests"


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b'{"model": "x"}', "{\"\xff".encode("latin-1")])
def test_bodies_that_are_not_messages_requests_pass_untouched(data):
    result = prune(data, "aggressive")
    assert result.body is data and result.edits == []


def test_an_edit_that_would_break_the_request_is_dropped_and_the_original_sent(monkeypatch):
    def breaks_pairing(b, ctx=None):      # drops the tool_result: its tool_use would be orphaned
        return [make_edit("breaker", b["messages"][2]["content"][0], None, 2, 0, "drop a result", action=DROP)]
    breaker = SimpleNamespace(NAME="breaker", TIER="gentle", plan=breaks_pairing)
    monkeypatch.setattr(strategies, "ORDER", (breaker,) + strategies.ORDER)
    b = body([user("x"), *bash_pair("t1", "ok"), asst("done"), user(text(REMINDER)), asst("a"), user(text(REMINDER))])
    data = raw(b)
    result = prune(data, "gentle")
    assert result.body is data
    assert [(e.strategy, e.decision) for e in result.edits] == [("breaker", "skipped_invalid")]
    standard = prune(data, "standard")       # a valid strategy alongside still applies
    assert {(e.strategy, e.decision) for e in standard.edits} == {("breaker", "skipped_invalid"),
                                                                   ("duplicate_reminders", "applied")}
    assert check_request(json.loads(standard.body), original=b) == []


def test_output_is_compact_utf8_like_claude_code_and_ascii_stays_ascii():
    b = body([user("héllo ✓"), *read_pair("t1", "/a", FILE_A), *read_pair("t2", "/a", FILE_A), asst("ok"), user("y")])
    out = prune(raw(b), "gentle").body
    assert out == json.dumps(json.loads(out), separators=(",", ":"), ensure_ascii=False).encode()
    assert "héllo ✓".encode() in out
    ascii_in = json.dumps(b, separators=(",", ":")).encode()
    assert prune(ascii_in, "gentle").body.isascii()
    spaced = json.dumps(b).encode()
    assert b'"role": "user"' in prune(spaced, "gentle").body


@pytest.mark.parametrize("tier", strategies.TIERS)
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_real_claude_code_bodies_stay_valid_and_identical(path, tier):
    b = json.loads(path.read_text())["body"]
    data = raw(b)
    result = prune(data, tier)
    assert result.problems == [] and result.body is data


@pytest.mark.parametrize("tier", strategies.TIERS)
def test_a_grown_claude_code_body_is_pruned_and_stays_valid(tier):
    b = json.loads((REQUESTS / "claude" / "request-tool-followup.json").read_text())["body"]
    history = [asst("ran it"), user(text(REMINDER), text("now read a.py twice")), *read_pair("r1", "/a", FILE_A),
               *read_pair("r2", "/a", FILE_A), *bash_pair("b1", "boot\n" + ACCESS + "\nbye"), asst("done"),
               user(text(REMINDER), text("thanks"))]
    b["messages"] += history
    result = prune(raw(b), tier, force=True)
    assert result.applied and len(result.body) < len(raw(b))
    out = json.loads(result.body)
    assert check_request(out, original=b) == []
    assert out["messages"][1]["role"] == "system" and out["system"] == b["system"]


def test_stage_records_edits_and_default_stages_builds_the_tier_stages():
    b = body([user("x"), *read_pair("t1", "/a", FILE_A), *read_pair("t2", "/a", FILE_A), asst("ok"), user("y")])
    data = raw(b)
    exchange = Exchange(id="ex1", ts=0.0, provider="anthropic", method="POST", path="/v1/messages")
    out = Pipeline(default_stages("gentle")).request(exchange, data)
    assert len(out) < len(data)
    assert [(c["strategy"], c["decision"], c["tier"]) for c in exchange.changes] == [
        ("duplicate_snapshots", "applied", "gentle")]
    assert {"bytes_removed", "tokens_removed", "cost_delta", "note"} <= set(exchange.changes[0])
    dry = Exchange(id="ex2", ts=0.0, provider="anthropic", method="POST", path="/v1/messages")
    assert PruneStage("aggressive", dry_run=True).request(dry, data) is data
    assert [c["decision"] for c in dry.changes] == ["dry_run"]
    assert default_stages() == []
    [stage] = default_stages("standard", dry_run=True, force=True)
    assert (stage.name, stage.tier, stage.dry_run, stage.force) == ("prune-standard", "standard", True, True)
    with pytest.raises(ValueError):
        PruneStage("extreme")
    assert prune_pkg.prune is prune


def test_system_entries_stay_in_place():
    summary = "This session is being continued from a previous conversation. Summary."
    b = body([user("old"), system_entry("# Env"), asst("a"), user(summary), asst("b"), user("c")])
    out = json.loads(prune(raw(b), "gentle").body)["messages"]
    assert [m["role"] for m in out] == ["system", "user", "assistant", "user"]
