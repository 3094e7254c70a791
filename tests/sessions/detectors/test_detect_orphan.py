from relay.sessions.detectors import orphan
from tests.factories import Compaction, assistant, fixture_session, make_session, text, tool_result, tool_use, user


def test_answered_calls_are_not_orphans():
    session = make_session([user("run it"), assistant(tool_use("t1", "Bash", {"command": "ls"})),
                            user(tool_result("t1", "a b")), assistant("done")])
    assert orphan.detect(session) == []


def test_recorded_tool_session_has_no_orphans():
    assert orphan.detect(fixture_session("claude", "session-tool-bash.jsonl")) == []


def test_unanswered_call_followed_by_more_conversation_is_an_error():
    session = make_session([user("go"), assistant(text("reading"), tool_use("t1", "Read", {"file_path": "x"})),
                            user("never mind"), assistant("ok")])
    [f] = orphan.detect(session)
    assert f.severity == "error" and f.detector == "orphan" and f.session_id == "sess-1"
    assert f.where == {"line": 2, "turn": 0, "tool_id": "t1", "tool": "Read"}
    assert "relay recover --session-id sess-1" in f.hint


def test_session_ending_at_a_call_is_a_warning():
    session = make_session([user("go"), assistant("fine"), user("again"), assistant(tool_use("t9", "Bash"))])
    [f] = orphan.detect(session)
    assert f.severity == "warning"
    assert f.where["line"] == 4 and f.where["turn"] == 1
    assert "ends at Bash call t9" in f.message


def test_result_without_call_is_an_error_or_a_warning_after_compaction():
    stray = [user("go"), assistant("hm"), user(tool_result("ghost", "data")), assistant("ok")]
    [f] = orphan.detect(make_session(stray))
    assert f.severity == "error" and f.where["tool_id"] == "ghost" and f.where["line"] == 3
    [g] = orphan.detect(make_session(stray, compactions=[Compaction(line=2)]))
    assert g.severity == "warning" and "compaction" in g.message


def test_result_attached_to_the_call_counts_as_an_answer():
    session = make_session([user("go"), assistant(tool_use("g1", "read_file"))], provider="gemini")
    session.tool_calls[0].result, session.tool_calls[0].result_line = "contents", 2
    assert orphan.detect(session) == []
