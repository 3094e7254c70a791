"""integrity and the CLI-written assistant entries, on Claude Code lines as the CLI writes them."""
import json

import pytest

from relay.sessions.detectors import detect_all, integrity, synthetic
from relay.sessions.parsers import parse_file
from tests.factories import fixture_session

RECORDED = [("claude", "session-agent-parent.jsonl"), ("claude", "session-text-resume-compact.jsonl"),
            ("claude", "session-text-stream-json.jsonl"), ("claude", "session-tool-bash.jsonl"),
            ("claude", "agent-a96acca0d5dba28f4.jsonl"), ("codex", "rollout-text-then-resume.jsonl"),
            ("codex", "rollout-tool-exec_command.jsonl"), ("gemini", "session-text-then-resume.jsonl"),
            ("gemini", "session-tool-run_shell_command.jsonl"), ("gemini", "legacy-chat.json"),
            ("gemini", "session-resume-stub.jsonl")]


def _user(uuid, parent, text, ts):
    return {"parentUuid": parent, "isSidechain": False, "type": "user", "uuid": uuid, "timestamp": ts,
            "sessionId": "s1", "message": {"role": "user", "content": text}}


def _assistant(uuid, parent, ts, content, stop="end_turn", mid="m1", model="claude-opus-4-5", usage=None):
    return {"parentUuid": parent, "isSidechain": False, "type": "assistant", "uuid": uuid, "timestamp": ts,
            "requestId": "r-" + mid, "sessionId": "s1",
            "message": {"id": mid, "role": "assistant", "model": model, "stop_reason": stop, "content": content,
                        "usage": usage or {"input_tokens": 10, "output_tokens": 5}}}


def _parse(tmp_path, records):
    path = tmp_path / "s1.jsonl"
    path.write_bytes(b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records))
    return parse_file("claude", path)


def _healthy():
    return [_user("u1", None, "hi", "2026-01-01T10:00:00.000Z"),
            _assistant("a1", "u1", "2026-01-01T10:00:02.000Z", [{"type": "text", "text": "hello"}]),
            _user("u2", "a1", "more", "2026-01-01T10:01:00.000Z"),
            _assistant("a2", "u2", "2026-01-01T10:01:02.000Z", [{"type": "text", "text": "sure"}], mid="m2")]


@pytest.mark.parametrize(("provider", "name"), RECORDED)
def test_recorded_sessions_raise_nothing(provider, name):
    session = fixture_session(provider, name)
    assert integrity.detect(session) == []
    assert [f for f in detect_all(session) if f.severity != "info"] == []


def test_healthy_lines_raise_nothing(tmp_path):
    assert integrity.detect(_parse(tmp_path, _healthy())) == []


def test_a_torn_record_mid_file_is_an_error_naming_recover(tmp_path):
    records = _healthy()
    torn = json.dumps(records[1]).encode()[:70]
    session = _parse(tmp_path, [records[0], torn, *records[1:]])
    [f] = integrity.detect(session)
    assert f.severity == "error" and f.where["line"] == 2 and "torn record" in f.message
    assert "relay recover --session-id s1" in f.hint


def test_a_half_written_last_line_is_not_a_torn_record(tmp_path):
    path = tmp_path / "s1.jsonl"
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in _healthy()) + b'{"type":"assist')
    assert integrity.detect(parse_file("claude", path)) == []


def test_a_user_line_without_parent_mid_session_breaks_the_chain(tmp_path):
    records = _healthy()
    records[2]["parentUuid"] = None
    [f] = integrity.detect(_parse(tmp_path, records))
    assert f.severity == "warning" and f.where["line"] == 3 and "chain" in f.message


def test_a_timestamp_jumping_back_minutes_is_reported_and_ms_skew_is_not(tmp_path):
    records = _healthy()
    records[2]["timestamp"] = "2026-01-01T09:55:00.000Z"
    [f] = integrity.detect(_parse(tmp_path, records))
    assert f.severity == "warning" and f.where["line"] == 3 and f.where["seconds_back"] == 302
    records = _healthy()
    records[2]["timestamp"] = "2026-01-01T10:00:01.998Z"     # 2 ms before the line before it
    assert integrity.detect(_parse(tmp_path, records)) == []


def _streamed(n_messages, chunks):
    """An older layout: each message written as it streamed, the whole content so far per line."""
    records, parent = [], None
    for i in range(n_messages):
        records.append(_user(f"u{i}", parent, f"question {i}", f"2026-01-01T10:{i:02d}:00.000Z"))
        parent = f"u{i}"
        for c in range(1, chunks + 1):
            text = " ".join(f"word{w}" for w in range(c * 40))
            records.append(_assistant(f"a{i}-{c}", parent, f"2026-01-01T10:{i:02d}:0{c}.000Z",
                                      [{"type": "text", "text": text}], stop=None if c < chunks else "end_turn",
                                      mid=f"m{i}"))
            parent = f"a{i}-{c}"
    return records


def test_log_inflation_of_older_layouts_is_reported_and_content_counted_once(tmp_path):
    session = _parse(tmp_path, _streamed(3, 4))
    [f] = integrity.detect(session)
    assert f.severity == "warning" and f.where["count"] == 9 and f.where["bytes"] > f.where["file_bytes"] / 2
    replies = [m for m in session.messages if m.role == "assistant"]
    assert len(replies) == 3 and all(len(m.blocks) == 1 for m in replies)
    assert replies[0].text.endswith("word159")


def test_one_line_per_block_layout_is_not_inflation(tmp_path):
    records = [_user("u1", None, "go", "2026-01-01T10:00:00.000Z")]
    for i in range(8):
        records.append(_assistant(f"a{i}", records[-1]["uuid"], "2026-01-01T10:00:01.000Z",
                                  [{"type": "text", "text": f"block {i} " * 50}], stop=None))
    session = _parse(tmp_path, records)
    assert integrity.detect(session) == [] and len(session.messages[1].blocks) == 8


def test_assistant_entries_the_cli_wrote_are_a_warning(tmp_path):
    records = _healthy()
    records.append(_assistant("a3", "a2", "2026-01-01T10:02:00.000Z",
                              [{"type": "text", "text": "API Error: Rate limit reached"}], stop="stop_sequence",
                              mid="m3", model="<synthetic>", usage={"input_tokens": 0, "output_tokens": 0}))
    found = [f for f in synthetic.detect(_parse(tmp_path, records)) if f.where.get("kind") == "cli_reply"]
    [f] = found
    assert f.severity == "warning" and "Rate limit reached" in f.message and f.where["line"] == 5
    assert synthetic.detect(_parse(tmp_path, _healthy())) == []


def test_recover_fixes_what_integrity_reports(tmp_path):
    from relay.diagnostics.recover import repair
    records = _healthy()
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records[:1])
    data += json.dumps(records[1]).encode()[:70] + json.dumps(records[1]).encode() + b"\n"
    data += b"".join(json.dumps(r).encode() + b"\n" for r in records[2:])
    path = tmp_path / "s1.jsonl"
    path.write_bytes(data)
    assert [f.severity for f in integrity.detect(parse_file("claude", path))] == ["error"]
    fixed, changes = repair(data, "claude")
    assert changes and fixed != data
    path.write_bytes(fixed)
    assert integrity.detect(parse_file("claude", path)) == []

