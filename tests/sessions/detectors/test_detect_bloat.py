from relay.sessions.detectors import bloat
from tests.factories import assistant, fixture_session, make_session, tool_result, tool_use, user


def _session(*sizes):
    messages = [user("read")]
    for i, size in enumerate(sizes):
        messages += [assistant(tool_use(f"t{i}", "Read", {"file_path": f"f{i}"})),
                     user(tool_result(f"t{i}", "x" * size))]
    return make_session(messages + [assistant("done")])


def test_results_at_or_under_the_limit_pass():
    assert bloat.detect(_session(bloat.MAX_RESULT_CHARS, 10)) == []
    assert bloat.detect(fixture_session("claude", "session-tool-bash.jsonl")) == []


def test_oversized_results_are_reported_largest_first():
    found = bloat.detect(_session(bloat.MAX_RESULT_CHARS + 1, bloat.ERROR_CHARS + 1))
    assert [f.severity for f in found] == ["error", "warning"]
    assert found[0].where == {"line": 5, "turn": 2, "tool": "Read", "tool_id": "t1", "chars": bloat.ERROR_CHARS + 1}
    assert "~50,001 tokens" in found[0].message


def test_findings_are_capped_with_one_summary():
    found = bloat.detect(_session(*[bloat.MAX_RESULT_CHARS + 1] * (bloat.MAX_FINDINGS + 3)))
    assert len(found) == bloat.MAX_FINDINGS + 1
    assert found[-1].where["count"] == 3 and "3 more" in found[-1].message


def test_result_held_only_by_the_call_is_measured():
    session = make_session([user("go"), assistant(tool_use("g1", "read_file"))], provider="gemini")
    session.tool_calls[0].result, session.tool_calls[0].result_line = "y" * (bloat.MAX_RESULT_CHARS + 5), 2
    [f] = bloat.detect(session)
    assert f.where["line"] == 2 and f.where["tool"] == "read_file"
