from relay.sessions.detectors import synthetic
from tests.factories import assistant, fixture_session, make_session, tool_result, tool_use, user


def test_person_typed_turns_and_tool_results_are_not_reported():
    session = make_session([user("fix the bug"), assistant(tool_use("t1", "Read")), user(tool_result("t1", "x")),
                            assistant("fixed"), user("context", synthetic="attachment")])
    assert synthetic.detect(session) == []


def test_recorded_compaction_session_reports_each_kind_once():
    found = synthetic.detect(fixture_session("claude", "session-text-resume-compact.jsonl"))
    kinds = {f.where["kind"]: f for f in found}
    assert set(kinds) == {"compact_summary", "meta", "command"}
    assert all(f.severity == "info" for f in found)
    assert kinds["command"].where["count"] == 2 and kinds["command"].where["lines"] == [38, 39]
    assert kinds["compact_summary"].where["line"] == 36


def test_interrupts_are_counted_with_their_lines():
    marker = "[Request interrupted by user]"
    session = make_session([user("go"), assistant("working"), user(marker, synthetic="interrupt"),
                            user("go on"), assistant("ok"), user(marker, synthetic="interrupt")])
    [f] = synthetic.detect(session)
    assert f.where["kind"] == "interrupt" and f.where["count"] == 2 and f.where["lines"] == [3, 6]
    assert f.where["turn"] == 1


def test_large_injection_is_a_warning():
    big = "<system-reminder>" + "x" * (synthetic.LARGE_CHARS + 1)
    session = make_session([user("go"), user(big, synthetic="system_reminder"), assistant("ok")])
    warnings = [f for f in synthetic.detect(session) if f.severity == "warning"]
    assert len(warnings) == 1 and warnings[0].where["line"] == 2 and warnings[0].where["chars"] == len(big)


def test_tool_written_turns_outnumbering_the_person_is_a_warning():
    messages = [user("start"), assistant("ok")]
    for _ in range(synthetic.MIN_DOMINANT):
        messages += [user("<user-prompt-submit-hook>lint ok", synthetic="hook"), assistant("ok")]
    found = synthetic.detect(make_session(messages))
    [dominant] = [f for f in found if f.severity == "warning"]
    assert dominant.where["count"] == synthetic.MIN_DOMINANT and dominant.where["human"] == 1
    fewer = make_session(messages[:-2])
    assert [f for f in synthetic.detect(fewer) if f.severity == "warning"] == []
