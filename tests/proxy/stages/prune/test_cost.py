"""Cache-aware decisions with hand-computed deltas (input-token units; see cost.py)."""
import json

import pytest

from relay.proxy.stages.prune import cost, prune
from relay.proxy.stages.prune.edits import Edit
from relay.proxy.stages.prune.validate import check_request
from tests.proxy.stages.prune.builders import asst, bash_pair, body, raw, text, user

CC5, CC1H = {"type": "ephemeral"}, {"type": "ephemeral", "ttl": "1h"}


def edit(message, block, tokens, group=None):
    return Edit(strategy="t", message=message, block=block, action="replace", note="", chars_removed=4 * tokens,
                tokens_removed=tokens, bytes_removed=4 * tokens, group=group or f"g{message}.{block}")


def cached(cc=CC5):
    """Units: user 400 chars (100 tokens), assistant 40,000 chars (10,000), user 'x' (1): the
    previous request ended there, so C is unit 2; then this request's tail, assistant 'ok' (1) and
    user 'y' (1) with the breakpoint, written either way."""
    return body([user(text("q" * 400)), asst(text("a" * 40_000)), user(text("x")), asst(text("ok")),
                 user(text("y", cc))], system=[], tools=[])


def moving():
    """Claude Code's moving breakpoint: the previous request ended at message 0 (100 tokens, C is
    unit 0); the 10,000-token assistant message and the new user message are the tail."""
    return body([user(text("q" * 400)), asst(text("a" * 40_000)), user(text("x", CC5))], system=[], tools=[])


def test_an_edit_in_the_tail_the_moving_breakpoint_writes_anyway_saves_its_write_price():
    e = edit(1, 0, 60)
    assert cost.decide(moving(), [e], later_turns=0) == pytest.approx(-75.0)
    assert e.decision == "applied"
    stateless = edit(1, 0, 60)      # no session: the tail is taken as cached, the edit would not be made again
    cost.decide(moving(), [stateless])
    assert stateless.decision == "skipped_cost" and stateless.cost_delta == pytest.approx(10_001 * 1.15 - 75)


def test_an_edit_just_inside_the_cached_prefix_breaks_it_and_pays_back_on_later_turns():
    # rewrite unit 0 (100 tokens): 125 - 10 - 60 * 1.25 = 40 on this request; each later turn
    # reads 60 tokens fewer: 40 - 3 * 6 = 22 after three, 40 - 7 * 6 = -2 after seven
    e = edit(0, 0, 60)
    assert cost.decide(moving(), [e], later_turns=0) == 0.0 and e.cost_delta == pytest.approx(40.0)
    assert cost.decide(moving(), [e], later_turns=3) == 0.0 and e.cost_delta == pytest.approx(22.0)
    assert cost.decide(moving(), [e], later_turns=7) == pytest.approx(-2.0)
    assert e.decision == "applied"


def test_a_fixed_breakpoint_takes_the_whole_prefix_as_cached():
    b = body([user(text("q" * 400)), asst(text("a" * 40_000), text("x", CC5)), user(text("y")), asst("ok"),
              user(text("z"))], system=[], tools=[])
    e = edit(1, 0, 60)
    cost.decide(b, [e], later_turns=0)
    assert e.decision == "skipped_cost" and e.cost_delta == pytest.approx(10_001 * 1.15 - 75)


def test_an_edit_after_the_last_breakpoint_saves_its_tokens_at_the_input_price():
    b = body([user(text("s" * 400, CC5)), asst("ok"), user(text("q" * 400))], system=[], tools=[])
    e = edit(2, 0, 50)
    assert cost.decide(b, [e]) == -50.0
    assert (e.decision, e.cost_delta) == ("applied", -50.0)


def test_without_breakpoints_every_saving_edit_applies():
    b = body([user("q" * 400)], system=[], tools=[])
    e = edit(0, None, 30)
    cost.decide(b, [e])
    assert (e.decision, e.cost_delta) == ("applied", -30.0)


def test_an_edit_before_a_large_cached_prefix_is_skipped_and_force_applies_it():
    # rewrite 10,101 tokens at 1.25 instead of reading them at 0.1, save 60 tokens at 1.25:
    # 12,626.25 - 1,010.1 - 75 = 11,541.15
    e = edit(0, 0, 60)
    assert cost.decide(cached(), [e], later_turns=0) == 0.0
    assert e.decision == "skipped_cost" and e.cost_delta == pytest.approx(11_541.15)
    forced = edit(0, 0, 60)
    assert cost.decide(cached(), [forced], later_turns=0, force=True) == pytest.approx(11_541.15)
    assert forced.decision == "applied"


def test_a_one_hour_breakpoint_prices_the_rewrite_at_two():
    e = edit(0, 0, 60)
    cost.decide(cached(CC1H), [e], later_turns=0)
    assert e.decision == "skipped_cost" and e.cost_delta == pytest.approx(10_101 * 2 - 1_010.1 - 120)


def test_a_large_edit_just_before_the_breakpoint_pays_for_the_rewrite():
    # rewrite 10,001 tokens: 12,501.25 - 1,000.1; save 9,990 * 1.25 = 12,487.5 -> -986.35
    e = edit(1, 0, 9_990)
    assert cost.decide(cached(), [e], later_turns=0) == pytest.approx(-986.35)
    assert e.decision == "applied"


def test_the_cheapest_start_wins_and_earlier_edits_are_skipped():
    # from unit 0: 11,616.15 - 75 - 12,487.5 = -946.35; from unit 1 alone: -986.35 (better)
    small, big = edit(0, 0, 60), edit(1, 0, 9_990)
    assert cost.decide(cached(), [small, big], later_turns=0) == pytest.approx(-986.35)
    assert (small.decision, big.decision) == ("skipped_cost", "applied")
    assert small.cost_delta == pytest.approx(11_541.15)


def test_dry_run_marks_instead_of_applying():
    e = edit(1, 0, 9_990)
    cost.decide(cached(), [e], later_turns=0, dry_run=True)
    assert e.decision == "dry_run"


def test_engine_skips_a_losing_edit_sends_the_original_and_force_prunes():
    big = "".join(f"row {n}: " + "x" * 40 + "\n" for n in range(700))
    b = body([user("dump"), *bash_pair("t1", big), asst(text("a" * 400_000)), user("more"), asst("ok"),
              user(text("next", CC5))])
    data = raw(b)
    result = prune(data, "standard")
    assert result.body is data
    assert [(e.strategy, e.decision) for e in result.edits] == [("oversized_tool_output", "skipped_cost")]
    assert result.edits[0].cost_delta > 0
    forced = prune(data, "standard", force=True)
    assert [e.decision for e in forced.edits] == ["applied"] and len(forced.body) < len(data)
    assert check_request(json.loads(forced.body), original=b) == []
    dry = prune(data, "standard", force=True, dry_run=True)
    assert dry.body is data and [e.decision for e in dry.edits] == ["dry_run"]
