from relay.sessions.detectors import stuck
from tests.factories import assistant, fixture_session, make_session, tool_result, tool_use, user


def _replies(*texts):
    messages = []
    for t in texts:
        messages += [user("continue"), assistant(t)]
    return make_session(messages)


def test_three_identical_replies_in_a_row_are_a_warning():
    [f] = stuck.detect(_replies("first", "I will fix it now.", "I will  fix it now.\n", "I will fix it now.", "done"))
    assert f.severity == "warning"
    assert f.where["turn"] == 1 and f.where["count"] == 3 and f.where["turns"] == [1, 2, 3]


def test_six_repeats_are_an_error():
    [f] = stuck.detect(_replies(*["Retrying."] * 6))
    assert f.severity == "error" and f.where["count"] == 6


def test_two_repeats_or_interrupted_runs_are_fine():
    assert stuck.detect(_replies("same", "same", "other", "same", "same")) == []
    assert stuck.detect(fixture_session("claude", "session-text-resume-compact.jsonl")) == []


def _calls(results):
    messages = [user("go")]
    for i, result in enumerate(results):
        messages += [assistant(tool_use(f"t{i}", "Bash", {"command": "npm test"})), user(tool_result(f"t{i}", result))]
    return make_session(messages + [assistant("stop")])


def test_identical_calls_with_identical_results_are_a_loop():
    [f] = stuck.detect(_calls(["FAIL: 1 test"] * 4))
    assert f.where["tool"] == "Bash" and f.where["count"] == 4 and f.where["lines"] == [2, 4, 6, 8]
    assert f.where["line"] == 2


def test_same_call_with_progressing_results_is_polling_not_a_loop():
    assert stuck.detect(_calls(["10%", "50%", "90%", "100%"])) == []


def test_input_key_order_does_not_hide_a_loop():
    messages = [user("go")]
    for i, args in enumerate([{"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 1, "b": 2}]):
        messages += [assistant(tool_use(f"t{i}", "Grep", args)), user(tool_result(f"t{i}", "none"))]
    [f] = stuck.detect(make_session(messages))
    assert f.where["count"] == 3
