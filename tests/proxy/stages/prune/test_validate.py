"""check_request: one invalid body per rule, and the valid shapes Claude Code sends."""
import json

import pytest

from relay.proxy.stages.prune.validate import check_request, rule_of
from tests.conftest import REQUESTS
from tests.proxy.stages.prune.builders import (
    asst,
    body,
    image,
    system_entry,
    text,
    thinking,
    tool_result,
    tool_use,
    user,
)

CC = {"type": "ephemeral"}


def rules(b, original=None):
    return sorted({rule_of(p) for p in check_request(b, original)})


def test_valid_conversation_with_system_entry_tools_thinking_and_images():
    b = body([user(text("hi"), image()), system_entry("# Environment"),
              asst(thinking("hmm"), text("running"), tool_use("t1")),
              user(tool_result("t1", "ok"), text("and then?")), asst("done"), user("thanks")])
    assert check_request(b) == []


@pytest.mark.parametrize("messages, rule", [
    ("not a list", "shape"),
    ([], "shape"),
    ([{"role": "tool", "content": "x"}], "shape"),
    ([user("")], "empty"),
    ([user()], "empty"),
    ([user(text(""))], "empty"),
    ([user(tool_result("t", [text("")]))], "empty"),
    ([asst("hi"), user("x")], "first"),
    ([system_entry("s"), asst("hi")], "first"),
    ([user("a"), user("b")], "roles"),
    ([user("a"), system_entry("s"), user("b")], "roles"),
    ([user("a"), asst(tool_use("t1")), user("no result")], "pairing"),
    ([user("a"), asst("plain"), user(tool_result("t9", "orphan"))], "pairing"),
    ([user("a"), asst(tool_use("t1")), user(tool_result("t2", "wrong id"))], "pairing"),
    ([user("a"), asst(tool_use("t1")), user(text("first"), tool_result("t1", "late"))], "tool_order"),
    ([user("a"), asst(thinking("x", sig=""), text("y"))], "thinking"),
    ([user("a"), asst({"type": "redacted_thinking", "data": ""}, text("y"))], "thinking"),
])
def test_each_rule_reports_its_problem(messages, rule):
    b = body([]) | {"messages": messages}
    assert rule in rules(b)


def test_cache_breakpoints_over_four_across_tools_system_and_messages():
    b = body([user(text("a", CC), text("b", CC)), asst("x"),
              user(tool_result("t", [text("c", CC)]) | {"tool_use_id": "t"})],
             system=[text("s", CC)], tools=[{"name": "T", "input_schema": {}, "cache_control": CC}])
    b["messages"][1] = asst(tool_use("t"))
    assert rules(b) == ["cache"]
    b["tools"][0].pop("cache_control")
    assert check_request(b) == []


def test_changed_thinking_of_the_turn_in_progress_is_a_problem_only_against_the_original():
    original = body([user("q"), asst(thinking("plan", "sigA"), tool_use("t1")), user(tool_result("t1", "ok")),
                     asst(thinking("more", "sigB"), text("done"))])
    edited = json.loads(json.dumps(original))
    edited["messages"][1]["content"][0]["signature"] = "sigX"     # not the latest message, but the same turn
    assert check_request(edited) == []
    assert rules(edited, original) == ["thinking"]
    assert check_request(original, original) == []


def test_real_claude_code_bodies_are_valid():
    paths = sorted((REQUESTS / "claude").glob("request-*.json"))
    bodies = [json.loads(p.read_text())["body"] for p in paths]
    assert len([b for b in bodies if b]) >= 4
    for path, b in zip(paths, bodies):
        if b:
            assert check_request(b) == [], path.name
