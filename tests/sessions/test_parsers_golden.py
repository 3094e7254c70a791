"""Golden tests: every recorded session file under tests/data/sessions parses to the facts in
its `<case>.expected.json` (regenerate with `python -m tests.regen_sessions` after a deliberate
change), and a few of those facts are checked by hand against the raw files below."""
import json

import pytest

from relay.sessions.parsers import parse_file
from tests.regen_sessions import DATA, cases, expected_path, facts

CASES = cases()


@pytest.mark.parametrize("provider,path", CASES, ids=[f"{p}/{f.name}" for p, f in CASES])
def test_file_parses_to_its_golden_facts(provider, path):
    expected = json.loads(expected_path(path).read_text())
    assert facts(parse_file(provider, path)) == expected


def test_every_provider_has_golden_cases():
    assert {provider for provider, _ in CASES} == {"claude", "codex", "gemini"}
    assert all(expected_path(path).exists() for _, path in CASES)


def _raw_lines(path):
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_claude_usage_is_summed_once_per_api_message():
    path = DATA / "claude" / "session-tool-bash.jsonl"
    raw = [r for r in _raw_lines(path) if r.get("type") == "assistant"]
    per_id = {}
    for r in raw:
        u = r["message"]["usage"]
        per_id[r["message"]["id"]] = (u["input_tokens"] + u["output_tokens"] + u["cache_read_input_tokens"]
                                      + u["cache_creation_input_tokens"])
    assert len(raw) == 3 and len(per_id) == 2          # one reply was split over two lines
    session = parse_file("claude", path)
    assert session.usage.total == sum(per_id.values())
    merged = [m for m in session.messages if m.role == "assistant"]
    assert [b.kind for b in merged[0].blocks] == ["text", "tool_use"]
    call = session.tool_calls[0]
    assert (call.name, call.result) == ("Bash", "hello-from-tool")
    assert session.messages[call.message_index] is merged[0]


def test_claude_compaction_and_resumes_come_from_the_right_lines():
    path = DATA / "claude" / "session-text-resume-compact.jsonl"
    raw = _raw_lines(path)
    boundary = next(i for i, r in enumerate(raw, 1) if r.get("subtype") == "compact_boundary")
    runs_end = [i for i, r in enumerate(raw, 1) if r["type"] == "cost-state"]
    session = parse_file("claude", path)
    (compaction,) = session.compactions
    assert compaction.line == boundary
    meta = raw[boundary - 1]["compactMetadata"]
    assert (compaction.trigger, compaction.pre_tokens, compaction.post_tokens) == (
        meta["trigger"], meta["preTokens"], meta["postTokens"])
    assert session.resumes == [end + 1 for end in runs_end[:-1]]
    summary = next(m for m in session.messages if m.synthetic == "compact_summary")
    assert summary.line == boundary + 1


def test_codex_usage_matches_the_usage_records_not_the_token_count_events():
    path = DATA / "codex" / "rollout-tool-exec_command.jsonl"
    raw = _raw_lines(path)
    records = [r["payload"]["usage"]["total_tokens"] for r in raw if r["type"] == "token_usage_record"]
    final_count = [r["payload"]["info"]["total_token_usage"]["total_tokens"] for r in raw
                   if r["type"] == "event_msg" and r["payload"]["type"] == "token_count"][-1]
    session = parse_file("codex", path)
    assert session.usage.total == sum(records) == final_count
    (call,) = session.tool_calls
    assert call.name == "exec_command" and call.input == {"cmd": "echo hello-from-tool"}
    assert "hello-from-tool" in call.result


def test_gemini_rewritten_record_is_one_message_with_its_tool_result():
    session = parse_file("gemini", DATA / "gemini" / "session-tool-run_shell_command.jsonl")
    assert session.stats.duplicate_lines == 1
    replies = [m for m in session.messages if m.role == "assistant"]
    assert len(replies) == 2 and len({m.message_id for m in replies}) == 2
    (call,) = session.tool_calls
    assert call.has_result and "hello-from-tool" in call.result
    assert session.usage.total == 2 * 1241


def test_gemini_legacy_json_and_jsonl_of_the_same_chat_agree():
    old = parse_file("gemini", DATA / "gemini" / "legacy-chat.json")
    new = parse_file("gemini", DATA / "gemini" / "session-tool-run_shell_command.jsonl")
    assert old.session_id == new.session_id
    old_messages = [(m.role, m.synthetic, m.text) for m in old.messages]
    assert old_messages == [(m.role, m.synthetic, m.text) for m in new.messages]
    assert old.usage == new.usage
