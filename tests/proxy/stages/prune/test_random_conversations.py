"""Random valid conversations, shaped like Claude Code's (tool pairs, thinking, images, reminders,
system entries, breakpoints, repeated reads and failures): every tier's output stays valid."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay.proxy.stages.prune import prune
from relay.proxy.stages.prune.strategies import TIERS
from relay.proxy.stages.prune.validate import check_request
from tests.proxy.stages.prune.builders import (
    asst,
    body,
    image,
    raw,
    system_entry,
    text,
    thinking,
    tool_result,
    tool_use,
    user,
)
from tests.proxy.stages.prune.test_strategies import ACCESS, BIG, ERROR, FILE_A, FILE_B, PROGRESS, REMINDER, SUMMARY

OUTPUTS = st.sampled_from([FILE_A, FILE_B, PROGRESS, ACCESS, BIG, "ok", ERROR])
USER_TEXT = st.sampled_from(["next", REMINDER, SUMMARY, "x-anthropic-billing-header: cc_version=1;", "why?"])
CC = st.sampled_from([None, None, None, {"type": "ephemeral"}, {"type": "ephemeral", "ttl": "1h"}])


@st.composite
def conversations(draw):
    counter = iter(range(10_000))
    messages = [user(*[text(t) for t in draw(st.lists(USER_TEXT, min_size=1, max_size=2))],
                     *([image()] if draw(st.booleans()) else []))]
    if draw(st.booleans()):
        messages.append(system_entry("# Environment\n - cwd: /w"))
    for _ in range(draw(st.integers(1, 9))):
        blocks = [thinking("thinking " * draw(st.integers(1, 30)))] if draw(st.booleans()) else []
        if draw(st.booleans()):
            blocks.append(text("working"))
        calls = draw(st.integers(0 if blocks else 1, 2))
        ids = [f"toolu_{next(counter)}" for _ in range(calls)]
        for uid in ids:
            blocks.append(tool_use(uid, "Read", file_path=draw(st.sampled_from(["/a", "/b"])))
                          if draw(st.booleans()) else tool_use(uid, "Bash", command="make"))
        messages.append(asst(*blocks))
        if ids:
            results = []
            for uid in ids:
                out = draw(OUTPUTS)
                results.append(tool_result(uid, out, is_error=out == ERROR, cc=draw(CC)))
            extra = [text(REMINDER)] if draw(st.booleans()) else []
            messages.append(user(*results, *extra))
        else:
            messages.append(user(text(draw(USER_TEXT), draw(CC)), *([image()] if draw(st.booleans()) else [])))
    if messages[-1]["role"] == "assistant":
        messages.append(user("go on"))
    b = body(messages)
    marks = [blk for m in messages if isinstance(m["content"], list)
             for blk in m["content"] if blk.get("cache_control")]
    for blk in marks[:-3]:            # at most 4 breakpoints: keep the last 3 (+ none in system here)
        blk.pop("cache_control")
    return b


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.booleans())
def test_every_tier_keeps_a_valid_conversation_valid(b, force):
    assert check_request(b) == []
    data = raw(b)
    for tier in TIERS:
        result = prune(data, tier, force=force)
        out = json.loads(result.body)
        assert check_request(out, original=b) == [], (tier, [e.note for e in result.applied])
        assert not any(e.decision == "skipped_invalid" for e in result.edits), "a strategy planned an invalid edit"
        if not result.applied:
            assert result.body is data
