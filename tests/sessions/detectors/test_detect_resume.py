from relay.models import ParseStats
from relay.sessions.detectors import resume
from tests.factories import assistant, fixture_session, make_session, text, tool_result, tool_use, user


def test_clean_resumes_pass():
    assert resume.detect(fixture_session("claude", "session-text-resume-compact.jsonl")) == []
    assert resume.detect(fixture_session("gemini", "session-text-then-resume.jsonl")) == []


def test_resume_after_an_unanswered_call_is_an_error():
    session = make_session([user("go"), assistant(text("running"), tool_use("t1", "Bash")),
                            user("hello again", line=10), assistant("hi", line=11)], resumes=[10])
    [f] = resume.detect(session)
    assert f.severity == "error" and f.where["line"] == 2 and f.where["resumed_at"] == 10
    assert f.where["tool_ids"] == ["t1"]


def test_call_answered_after_the_resume_is_fine():
    session = make_session([user("go"), assistant(tool_use("t1", "Bash")),
                            user(tool_result("t1", "interrupted"), line=10), assistant("ok", line=11)], resumes=[10])
    assert resume.detect(session) == []


def test_bad_lines_in_a_resumed_session_are_a_warning():
    session = make_session([user("a"), assistant("b")], resumes=[2], stats=ParseStats(lines=5, bad_lines=1))
    [f] = resume.detect(session)
    assert f.severity == "warning" and f.where["line"] == 2 and f.where["bad_lines"] == 1
    unresumed = make_session([user("a"), assistant("b")], stats=ParseStats(lines=5, bad_lines=1))
    assert resume.detect(unresumed) == []


def test_torn_last_line_is_a_warning():
    session = make_session([user("a"), assistant("b")], stats=ParseStats(lines=2, truncated_tail=True))
    [f] = resume.detect(session)
    assert f.severity == "warning" and f.where["line"] == 3


def test_gemini_resume_stub_is_reported_as_info():
    [f] = resume.detect(fixture_session("gemini", "session-resume-stub.jsonl"))
    assert f.severity == "info" and "stub" in f.message and f.where == {"line": 1}
