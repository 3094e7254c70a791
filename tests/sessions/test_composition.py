import json

from relay.sessions import composition
from relay.sessions.composition import compose_session, estimate_tokens
from tests.factories import (
    Compaction,
    assistant,
    fixture_session,
    make_session,
    make_usage,
    system,
    text,
    thinking,
    tool_result,
    tool_use,
    user,
)


def test_every_block_lands_in_its_category():
    call = tool_use("t1", "Read", {"file_path": "a.py"})
    session = make_session([
        system("S" * 10),
        user("U" * 8),
        user("R" * 6, synthetic="system_reminder"),
        assistant(thinking("T" * 12), text("A" * 4), call, usage=make_usage(input=5, cache_read=100, cache_write=20)),
        user(tool_result("t1", "F" * 40)),
    ])
    c = compose_session(session)
    assert c["chars"] == {"user_text": 8, "assistant_text": 4, "tool_use": call.chars, "tool_result": 40,
                          "thinking_overhead": 12, "system": 16}
    total = 8 + 4 + call.chars + 40 + 12 + 16
    assert c["total_chars"] == total and c["total_tokens"] == estimate_tokens(total)
    assert c["snr"] == round(12 / total, 3)
    assert c["tokens"]["tool_result"] == 10 and c["tokens"]["user_text"] == 2
    assert round(sum(c["percent"].values())) == 100
    first, second = c["turns"]
    assert first["turn"] == 0 and first["line"] == 1 and first["measured_tokens"] == 125
    assert second["chars"]["tool_result"] == 40 and second["measured_tokens"] is None
    assert second["context_tokens"] == first["tokens"] + second["tokens"]
    json.dumps(c)


def test_estimate_rounds_up_a_quarter():
    assert [estimate_tokens(n) for n in (0, 1, 4, 5, 400)] == [0, 1, 1, 2, 100]


def test_empty_session_has_no_ratio():
    c = compose_session(make_session([]))
    assert c["snr"] is None and c["total_chars"] == 0 and c["turns"] == []


def test_context_restarts_after_a_compaction():
    session = make_session([user("a" * 400), assistant("b" * 400), user("c" * 40, line=4), assistant("d" * 40, line=5)],
                           compactions=[Compaction(line=3)])
    first, second = compose_session(session)["turns"]
    assert first["context_tokens"] == 200
    assert second["context_tokens"] == 20


def test_recorded_session_is_mostly_system_context():
    c = compose_session(fixture_session("claude", "session-tool-bash.jsonl"))
    assert c["chars"]["user_text"] == len("run echo")
    assert c["chars"]["tool_result"] == len("hello-from-tool")
    assert c["chars"]["system"] > 9000 and c["snr"] < 0.01
    assert c["turn_count"] == 2 and c["turns"][0]["measured_tokens"] == 12 + 3000 + 1500


def _reads(*pairs):
    messages = [user("go")]
    for i, (args, result) in enumerate(pairs):
        messages += [assistant(tool_use(f"t{i}", args[0], args[1])), user(tool_result(f"t{i}", result))]
    return make_session(messages + [assistant("done")])


def test_same_file_read_again_unchanged_is_a_duplicate():
    dup = compose_session(_reads((("Read", {"file_path": "/a.py"}), "v1"), (("Bash", {"command": "ls"}), "x"),
                                 (("Read", {"file_path": "/a.py"}), "v1"),
                                 (("Bash", {"command": "cat /a.py"}), "v1")))["duplicate_reads"]
    assert dup["count"] == 2 and dup["chars"] == 4 and dup["tokens"] == 1
    assert dup["files"] == [{"path": "/a.py", "reads": 3, "duplicates": 2, "chars": 4, "lines": [6, 8]}]


def test_changed_content_other_ranges_and_shell_cat_are_told_apart():
    dup = compose_session(_reads((("Read", {"file_path": "/a.py"}), "v1"), (("Read", {"file_path": "/a.py"}), "v2"),
                                 (("Read", {"file_path": "/a.py", "offset": 10}), "v2"),
                                 (("exec_command", {"cmd": "cat b.txt"}), "B"),
                                 (("exec_command", {"cmd": "cat b.txt"}), "B")))["duplicate_reads"]
    assert dup["count"] == 1 and [f["path"] for f in dup["files"]] == ["b.txt"]


def test_shell_command_lists_and_other_commands():
    assert composition.read_target(_reads((("shell", {"command": ["bash", "-lc", "cat x.md"]}), "")).tool_calls[0]) \
        == ("x.md", "{}")
    assert composition.read_target(_reads((("Bash", {"command": "cat a b"}), "")).tool_calls[0]) is None
    assert composition.read_target(_reads((("Bash", {"command": "cat 'unterminated"}), "")).tool_calls[0]) is None


def test_long_sessions_are_bucketed(monkeypatch):
    monkeypatch.setattr(composition, "MAX_TURNS", 4)
    messages = []
    for i in range(10):
        messages += [user("q" * 4), assistant("a" * 4, usage=make_usage(input=i + 1))]
    c = compose_session(make_session(messages))
    assert c["turns_summarised"] and c["turn_count"] == 10
    assert [b["turns"] for b in c["turns"]] == [[0, 2], [3, 5], [6, 8], [9, 9]]
    assert c["turns"][0]["chars"]["user_text"] == 12 and c["turns"][1]["measured_tokens"] == 6


def test_the_indexed_summary_is_the_composition_without_its_turns(monkeypatch):
    monkeypatch.setattr(composition, "MAX_TURNS", 1)     # a summarised session too
    for provider, name in (("claude", "session-text-resume-compact.jsonl"), ("claude", "session-tool-bash.jsonl"),
                           ("codex", "rollout-tool-exec_command.jsonl"), ("gemini", "session-text-then-resume.jsonl")):
        session = fixture_session(provider, name)
        full = compose_session(session)
        assert full.pop("turns")
        assert composition.compose_summary(session) == full, name
