from relay.sessions.detectors import microcompact
from tests.factories import Compaction, assistant, fixture_session, make_session, tool_result, tool_use, user

CLEARED = microcompact.CLEARED_MARKERS[0]


def _with_compactions(turns, at_turns):
    """`turns` question/answer pairs; a compaction line and its summary before each turn in at_turns."""
    messages, compactions, line = [], [], 0
    for i in range(turns):
        if i in at_turns:
            compactions.append(Compaction(line=line + 1, pre_tokens=100_000, post_tokens=20_000))
            messages.append(user("summary", synthetic="compact_summary", line=line + 2))
            line += 2
        messages += [user(f"q{i}", line=line + 1), assistant(f"a{i}", line=line + 2)]
        line += 2
    return make_session(messages, compactions=compactions)


def test_spread_out_compactions_pass():
    assert microcompact.detect(_with_compactions(30, {5, 15, 25})) == []
    assert microcompact.detect(fixture_session("claude", "session-text-resume-compact.jsonl")) == []


def test_three_compactions_close_together_are_a_loop():
    [f] = microcompact.detect(_with_compactions(20, {5, 7, 9}))
    assert f.severity == "warning" and f.where["count"] == 3
    assert "3 compactions within 4 model turns" in f.message


def test_compaction_that_barely_shrinks_is_a_warning():
    session = make_session([user("a"), assistant("b"), user("c"), assistant("d")],
                           compactions=[Compaction(line=3, pre_tokens=150_000, post_tokens=140_000, trigger="auto")])
    [f] = microcompact.detect(session)
    assert f.where == {"line": 3, "turn": 1, "pre_tokens": 150_000, "post_tokens": 140_000, "trigger": "auto"}
    assert "freed 7%" in f.message


def test_cleared_results_are_info_and_refetching_them_a_warning():
    read = {"file_path": "/src/app.py"}
    messages = [user("go"), assistant(tool_use("t1", "Read", read)), user(tool_result("t1", CLEARED)),
                assistant(tool_use("t2", "Bash", {"command": "ls"})), user(tool_result("t2", "x"))]
    found = microcompact.detect(make_session(messages + [assistant("done")]))
    assert [f.severity for f in found] == ["info"]
    assert found[0].where["count"] == 1 and found[0].where["line"] == 3
    again = messages + [assistant(tool_use("t3", "Read", read)), user(tool_result("t3", "code")), assistant("done")]
    found = microcompact.detect(make_session(again))
    assert [f.severity for f in found] == ["info", "warning"]
    assert found[1].where["line"] == 6
