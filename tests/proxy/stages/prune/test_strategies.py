"""Each strategy: a body where it fires (the result validates and says what was cut) and a
near-miss body where nothing is done (no edits, the very same bytes object comes back)."""
import json

import pytest

from relay.proxy.stages.prune import prune
from relay.proxy.stages.prune.strategies import ORDER, TIERS, for_tier
from relay.proxy.stages.prune.validate import check_request
from tests.proxy.stages.prune.builders import (
    BILLING,
    asst,
    bash_pair,
    body,
    image,
    raw,
    read_pair,
    system_entry,
    text,
    thinking,
    tool_result,
    tool_use,
    user,
)

SUMMARY = "This session is being continued from a previous conversation that ran out of context. Summary: ..."
FILE_A = "".join(f"{n:6}\tline {n} of a.py\n" for n in range(1, 30))
FILE_B = FILE_A.replace("line 7", "line seven")
REMINDER = ("<system-reminder>\nThe task list is empty. " + "Keep going with the user's request. " * 5
            + "\n</system-reminder>")
PROGRESS = "\n".join(f"Downloading torch: {p}% |{'#' * (p // 10)}| {p}/100 MB" for p in range(0, 101, 5)) + "\ndone"
ACCESS = "\n".join(f'127.0.0.1 - - [01/Jan/2026 10:00:{s:02}] "GET /api/items/{s} HTTP/1.1" 200 512' for s in range(30))
BIG = "".join(f"row {n}: " + "x" * 40 + "\n" for n in range(700))          # ~33k chars, 700 lines
MEGA = "".join(f"chunk {n} " + "y" * 90 + "\n" for n in range(1500))        # ~150k chars
ERROR = "Error: make: *** No rule to make target 'buld'.  Stop."


def positive_bodies():
    return {
        "pre_compaction": body([user("old question"), system_entry("# Environment"), asst("old answer"),
                                user(text(SUMMARY)), asst("ok"), user("go on")]),
        "progress_ticks": body([user("install"), *bash_pair("t1", PROGRESS), asst("done"), user("next")]),
        "duplicate_snapshots": body([user("look"), *read_pair("t1", "/w/a.py", FILE_A),
                                     *read_pair("t2", "/w/a.py", FILE_A), asst("same"), user("ok")]),
        "billing_noise": body([user(text("hi"), text(BILLING)), asst("hello"), user("bye")],
                              system=[text(BILLING), text(BILLING), text("You are a Claude agent.")]),
        "old_thinking": body([user("q1"), asst(thinking("deep thoughts " * 50), text("a1")), user("q2"),
                              asst(thinking("recent thoughts", "sigLatest"), text("a2")), user("q3")]),
        "oversized_tool_output": body([user("dump"), *bash_pair("t1", BIG), asst("big"), user("thanks")]),
        "stale_tool_results": body([user("look"), *read_pair("t1", "/w/a.py", FILE_A),
                                    *read_pair("t2", "/w/a.py", FILE_B), asst("changed"), user("ok")]),
        "duplicate_reminders": body([user(text(REMINDER), text("q1")), asst("a1"), user(text(REMINDER), text("q2"))]),
        "http_spam": body([user("serve"), *bash_pair("t1", "Serving on :8000\n" + ACCESS + "\nERROR boom"),
                           asst("spam"), user("ok")]),
        "error_retry_loops": body([user("build"), *bash_pair("t1", ERROR, True), *bash_pair("t2", ERROR, True),
                                   *bash_pair("t3", ERROR, True), asst("I give up"), user("fine")]),
        "mega_blocks": body([user("read this"), asst("ok"), user(text(MEGA))]),
        "old_images": body([user(image(), text("what is this?")), asst("a cat"), user("thanks")]),
    }


NEGATIVE = {
    "pre_compaction": body([user(text(SUMMARY)), asst("ok"), user("go on")]),      # the summary opens the request
    "progress_ticks": body([user("x"), *bash_pair("t1", "step 1/3\nstep 2/3\nstep 3/3\ndone"), asst("ok"), user("y")]),
    "duplicate_snapshots": body([user("x"), *read_pair("t1", "/w/a.py", FILE_A),
                                 *read_pair("t2", "/w/b.py", FILE_A), asst("ok"), user("y")]),
    "billing_noise": body([user("hi"), asst("hello"), user("bye")]),                # one header, where the API reads it
    "old_thinking": body([user("q1"), asst(thinking("t"), tool_use("t1")), user(tool_result("t1", "ok")),
                          asst(thinking("u"), text("a"))]),                         # all in the turn in progress
    "oversized_tool_output": body([user("x"), *bash_pair("t1", BIG[:20_000]), asst("ok"), user("y")]),
    "stale_tool_results": body([user("x"), *read_pair("t1", "/w/a.py", FILE_A), asst("ok"), user("y")]),
    "duplicate_reminders": body([user(text(REMINDER), text("q1")), asst("a1"),
                                 user(text(REMINDER.replace("empty", "done")), text("q2"))]),
    "http_spam": body([user("x"), *bash_pair("t1", "\n".join(ACCESS.split("\n")[:6])), asst("ok"), user("y")]),
    "error_retry_loops": body([user("x"), *bash_pair("t1", ERROR, True), *bash_pair("t2", ERROR, True),
                               asst("ok"), user("y")]),
    "mega_blocks": body([user(text(MEGA[:90_000]))]),
    "old_images": body([user("x"), asst("ok"), user(image(), text("what is this?"))]),
}
MARKERS = {   # what the body (or, for drops, the edit note) says was cut
    "pre_compaction": ("note", "from before the compaction summary"),
    "progress_ticks": ("body", "[relay progress_ticks: removed 19 progress lines"),
    "duplicate_snapshots": ("body", "this read of /w/a.py returned the same content as the later read in message 4"),
    "billing_noise": ("note", "dropped a repeated billing header"),
    "old_thinking": ("note", "dropped a thinking block (700 chars) of old assistant message 1"),
    "oversized_tool_output": ("body", "lines) from the middle; kept"),
    "stale_tool_results": ("body", "earlier read of /w/a.py; the file changed and was read again in message 4"),
    "duplicate_reminders": ("body", "removed a repeated system-reminder"),
    "http_spam": ("body", "[relay http_spam: removed 26 HTTP/log lines"),
    "error_retry_loops": ("note", "one of 3 identical failures"),
    "mega_blocks": ("body", "[relay mega_blocks: cut "),
    "old_images": ("body", "[relay old_images: removed a image/png image"),
}
BY_NAME = {s.NAME: s for s in ORDER}


def test_twelve_strategies_four_per_tier_and_tiers_include_those_below():
    assert len(ORDER) == 12 and set(BY_NAME) == set(MARKERS) == set(NEGATIVE)
    assert [sum(s.TIER == t for s in ORDER) for t in TIERS] == [4, 4, 4]
    assert [len(for_tier(t)) for t in TIERS] == [4, 8, 12]
    with pytest.raises(ValueError):
        for_tier("extreme")


@pytest.mark.parametrize("name", sorted(MARKERS))
def test_strategy_fires_and_keeps_the_request_valid(name):
    b = positive_bodies()[name]
    before = json.dumps(b, sort_keys=True)
    planned = BY_NAME[name].plan(b)
    assert planned and json.dumps(b, sort_keys=True) == before, "plan() must not mutate the body"
    result = prune(raw(b), BY_NAME[name].TIER)
    mine = [e for e in result.applied if e.strategy == name]
    assert mine and all(e.bytes_removed > 0 and e.tokens_removed > 0 for e in mine)
    out = json.loads(result.body)
    assert check_request(out, original=b) == []
    where, marker = MARKERS[name]
    assert marker in (result.body.decode() if where == "body" else " | ".join(e.note for e in mine))
    assert len(result.body) < len(raw(b))


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_nothing_to_do_returns_the_original_bytes(name):
    data = raw(NEGATIVE[name])
    assert check_request(NEGATIVE[name]) == []
    assert BY_NAME[name].plan(NEGATIVE[name]) == []
    result = prune(data, "aggressive")
    assert result.edits == [] and result.body is data


def test_specific_outcomes():
    bodies = positive_bodies()
    out = json.loads(prune(raw(bodies["pre_compaction"]), "gentle").body)["messages"]
    assert [m["role"] for m in out] == ["system", "user", "assistant", "user"]
    assert out[1]["content"][0]["text"] == SUMMARY
    out = json.loads(prune(raw(bodies["old_thinking"]), "standard").body)["messages"]
    assert [b["type"] for b in out[1]["content"]] == ["text"]
    assert out[3]["content"][0] == thinking("recent thoughts", "sigLatest")
    out = json.loads(prune(raw(bodies["error_retry_loops"]), "aggressive").body)["messages"]
    assert [b.get("id") for m in out for b in m["content"] if isinstance(b, dict) and b["type"] == "tool_use"] == ["t3"]
    out = json.loads(prune(raw(bodies["billing_noise"]), "gentle").body)
    assert [s["text"] for s in out["system"]] == [BILLING, "You are a Claude agent."]
    assert out["messages"][0]["content"] == [text("hi")]
    out = json.loads(prune(raw(bodies["duplicate_reminders"]), "standard").body)["messages"]
    assert out[0]["content"][0]["text"] == REMINDER and REMINDER not in out[2]["content"][0]["text"]


def test_image_tokens_come_from_the_png_size_and_are_capped():
    from relay.proxy.stages.prune.edits import IMAGE_MAX_TOKENS, image_tokens
    from tests.proxy.stages.prune.builders import png
    assert image_tokens(image(png(800, 600))) == 640
    assert image_tokens(image(png(4000, 3000))) == IMAGE_MAX_TOKENS
    assert image_tokens(image("not base64 at all!", "image/jpeg")) == IMAGE_MAX_TOKENS
