"""Parser behaviour on constructed files: broken bytes, merging rules, resumes, replays, and
resuming a saved parser state mid-file."""
import json

import pytest

from relay.sessions import state
from relay.sessions.parsers import parse_bytes, parser_for, read_into
from tests.regen_sessions import cases, facts


def jl(*records):
    return b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in records)


def cc_user(text, uuid, **extra):
    return {"type": "user", "uuid": uuid, "sessionId": "s1", "timestamp": f"2026-11-01T00:00:{len(uuid):02d}Z",
            "message": {"role": "user", "content": text}, **extra}


def cc_reply(mid, uuid, blocks, output=5, rid=None, **extra):
    line = {"type": "assistant", "uuid": uuid, "sessionId": "s1",
            "message": {"id": mid, "role": "assistant", "model": "claude-x", "content": blocks,
                        "usage": {"input_tokens": 10, "output_tokens": output, "cache_read_input_tokens": 100,
                                  "cache_creation_input_tokens": 0}}, **extra}
    if rid:
        line["requestId"] = rid
    return line


def text(value):
    return {"type": "text", "text": value}


BASIC = jl(cc_user("hi", "u1"), cc_reply("m1", "a1", [text("hello")], rid="r1"))


@pytest.mark.parametrize("provider,name", [("claude", "x.jsonl"), ("codex", "x.jsonl"), ("gemini", "x.jsonl"),
                                           ("gemini", "x.json")])
def test_empty_and_blank_files_give_an_empty_session(provider, name):
    for data in (b"", b"\n\n  \n"):
        session = parse_bytes(provider, data, path=name)
        assert session.messages == [] and session.usage.total == 0
        assert session.stats.bad_lines == 0 and not session.stats.truncated_tail


def test_truncated_last_line_is_left_unread_and_flagged():
    data = BASIC + b'{"type":"user","uuid":"u2","message":{"role":"us'
    parser = parser_for("claude")
    read_into(parser, __import__("io").BytesIO(data))
    session = parser.result()
    assert session.stats.truncated_tail is True
    assert parser.offset == len(BASIC)             # the next scan starts at the partial line
    assert [m.uuid for m in session.messages] == ["u1", "a1"]


def test_complete_last_line_without_newline_is_taken():
    session = parse_bytes("claude", BASIC + json.dumps(cc_user("more", "u2")).encode())
    assert [m.uuid for m in session.messages] == ["u1", "a1", "u2"]
    assert not session.stats.truncated_tail


def test_invalid_json_and_wrong_shapes_are_counted_not_raised():
    data = (jl(cc_user("hi", "u1")) + b"{not json\n" + b"[1,2]\n"
            + jl({"type": "assistant", "message": "oops"}, {"type": "user", "message": {"content": 5}},
                 {"type": "attachment", "rendered": "x"}, cc_reply("m1", "a1", [text("ok")])))
    session = parse_bytes("claude", data)
    assert session.stats.bad_lines == 2
    assert [m.uuid for m in session.messages if m.uuid] == ["u1", "a1"]


def test_non_utf8_bytes_are_replaced_and_counted():
    line = json.dumps(cc_user("caf\u00e9", "u1"), ensure_ascii=False).encode().replace("é".encode(), b"\xe9")
    session = parse_bytes("claude", line + b"\n" + jl(cc_reply("m1", "a1", [text("ok")])))
    assert session.stats.non_utf8_lines == 1
    assert session.messages[0].text == "caf\ufffd"


def test_split_reply_is_merged_and_keeps_the_last_usage_unless_it_shrinks():
    data = jl(cc_user("hi", "u1"),
              cc_reply("m1", "a1", [text("part 1")], output=3),
              cc_reply("m1", "a2", [{"type": "tool_use", "id": "t1", "name": "Read", "input": {"p": 1}}], output=9),
              cc_reply("m1", "a3", [text("late")], output=4))
    session = parse_bytes("claude", data)
    (reply,) = [m for m in session.messages if m.role == "assistant"]
    assert [b.kind for b in reply.blocks] == ["text", "tool_use", "text"]
    assert reply.usage.output_tokens == 9
    assert session.usage.output_tokens == 9 and session.usage.input_tokens == 10


def test_dedupe_key_is_message_id_plus_request_id():
    data = jl(cc_reply("m1", "a1", [text("one")], rid="r1"), cc_reply("m1", "a2", [text("two")], rid="r2"))
    assert len(parse_bytes("claude", data).messages) == 2
    data = jl(cc_reply("m1", "a1", [text("one")], rid="r1"), cc_reply("m1", "a2", [text("two")], rid="r1"))
    assert len(parse_bytes("claude", data).messages) == 1


def test_a_rewritten_line_with_a_known_uuid_is_a_duplicate():
    session = parse_bytes("claude", jl(cc_user("hi", "u1"), cc_user("hi", "u1")))
    assert len(session.messages) == 1 and session.stats.duplicate_lines == 1


def test_user_lines_written_by_the_cli_are_marked_synthetic():
    data = jl(cc_user("[Request interrupted by user]", "u1"), cc_user("<command-name>/x</command-name>", "u2"),
              cc_user("plumbing", "u3", isMeta=True), cc_user("summary", "u4", isCompactSummary=True),
              {**cc_user("side", "u5"), "isSidechain": True},
              {"type": "user", "uuid": "u6", "message": {"content": [
                  {"type": "tool_result", "tool_use_id": "t9", "content": [text("a"), text("b")], "is_error": True}]}})
    session = parse_bytes("claude", data)
    assert [m.synthetic for m in session.messages] == ["interrupt", "command", "meta", "compact_summary", None,
                                                       "tool_result"]
    assert session.messages[4].sidechain is True
    assert session.messages[5].blocks[0].text == "a\nb" and session.messages[5].blocks[0].is_error


def test_resume_appended_to_the_same_file_is_recorded_where_the_new_run_starts():
    run1 = jl(cc_user("hi", "u1"), cc_reply("m1", "a1", [text("ok")]), {"type": "cost-state", "sessionId": "s1"})
    run2 = jl({"type": "queue-operation", "operation": "enqueue"}, cc_user("again", "u2"),
              cc_reply("m2", "a2", [text("ok")]), {"type": "cost-state", "sessionId": "s1"})
    session = parse_bytes("claude", run1 + run2)
    assert session.resumes == [4]
    assert session.usage.output_tokens == 10


def test_unknown_record_types_are_counted_and_known_bookkeeping_is_not():
    data = jl({"type": "brand-new"}, {"type": "brand-new"}, {"type": "file-history-snapshot"},
              {"type": "summary", "summary": "x"}, {"type": "mode", "mode": "normal"}, cc_user("hi", "u1"))
    session = parse_bytes("claude", data)
    assert session.stats.unknown_types == {"brand-new": 2}
    rollout = jl({"type": "session_meta", "payload": {"id": "c1"}}, {"type": "mystery", "payload": {}},
                 {"type": "response_item", "payload": {"type": "new_item"}})
    assert parse_bytes("codex", rollout).stats.unknown_types == {"mystery": 1, "response_item/new_item": 1}
    chat = jl({"sessionId": "g1"}, {"id": "1", "type": "oracle", "content": "?"})
    assert parse_bytes("gemini", chat).stats.unknown_types == {"oracle": 1}


def _codex(kind, payload):
    return {"timestamp": "2026-11-01T00:00:00Z", "type": kind, "payload": payload}


def _count_event(total, last):
    return _codex("event_msg", {"type": "token_count", "info": {"total_token_usage": {"total_tokens": total},
                                                                "last_token_usage": last}})


def test_codex_token_count_is_the_fallback_and_repeats_are_not_counted():
    reply = _codex("response_item", {"type": "message", "role": "assistant", "content": [
        {"type": "output_text", "text": "ok"}]})
    usage = {"input_tokens": 100, "cached_input_tokens": 40, "output_tokens": 5}
    data = jl(_codex("session_meta", {"id": "c1"}), reply, _count_event(105, usage), _count_event(105, usage),
              reply, _count_event(210, usage))
    session = parse_bytes("codex", data)
    assert session.usage.input_tokens == 2 * 60 and session.usage.cache_read_input_tokens == 2 * 40
    assert session.usage.output_tokens == 10


def test_codex_usage_record_wins_over_the_token_count_that_follows():
    usage = {"input_tokens": 100, "cached_input_tokens": 0, "output_tokens": 5}
    data = jl(_codex("response_item", {"type": "function_call", "name": "sh", "call_id": "c", "arguments": "{}"}),
              _codex("token_usage_record", {"response_id": "r1", "usage": usage}), _count_event(105, usage),
              _codex("response_item", {"type": "function_call_output", "call_id": "c", "output": "done"}))
    session = parse_bytes("codex", data)
    assert session.usage.total == 105
    assert session.tool_calls[0].result == "done"


def test_codex_legacy_bare_items_are_upgraded():
    data = jl({"id": "old-1", "timestamp": "2025-05-01T00:00:00Z", "instructions": "be brief"},
              {"record_type": "state"},
              {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
              {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "yo"}]})
    session = parse_bytes("codex", data)
    assert session.session_id == "old-1"
    assert [(m.role, m.text) for m in session.messages] == [("system", "be brief"), ("user", "hi"),
                                                            ("assistant", "yo")]
    assert session.stats.unknown_types == {}


def _gemini_reply(rid, output, **extra):
    return {"id": rid, "type": "gemini", "content": "r" + rid,
            "tokens": {"input": 100, "output": output, "cached": 40, "thoughts": 2, "tool": 0}, **extra}


def test_gemini_set_replay_upserts_and_detects_resume_and_compaction():
    data = jl({"sessionId": "g1", "startTime": "2026-11-01T00:00:00Z"},
              {"$set": {"messages": [{"id": "ctx", "type": "user", "content": [{"text": "<session_context>x"}]}]}},
              {"id": "u1", "type": "user", "content": [{"text": "hi"}]},
              _gemini_reply("g1", 5), _gemini_reply("g1", 7),                     # rewritten: later wins
              {"$set": {"lastUpdated": "2026-11-01T01:00:00Z"}},
              {"$set": {"messages": [{"id": "ctx", "type": "user", "content": [{"text": "<session_context>x"}]},
                                     {"id": "u1", "type": "user", "content": [{"text": "hi"}]},
                                     _gemini_reply("g1", 7)]}},                   # --resume: same ids
              {"id": "u2", "type": "user", "content": [{"text": "again"}]}, _gemini_reply("g2", 3),
              {"$set": {"messages": [{"id": "sum", "type": "user", "content": [{"text": "summary"}]}]}})  # compaction
    session = parse_bytes("gemini", data)
    assert session.resumes == [7]
    assert [c.line for c in session.compactions] == [10]
    assert [m.uuid for m in session.messages] == ["sum"]
    assert session.ended == "2026-11-01T01:00:00Z"
    # tokens of replaced records were spent all the same: g1 (last copy) + g2
    assert session.usage.output_tokens == (7 + 2) + (3 + 2) and session.usage.cache_read_input_tokens == 80
    assert session.stats.duplicate_lines == 1


def _feed_in_two(provider, path, cut, directory):
    """Parse `path` up to byte `cut`, save the state as the index does, resume from its offset."""
    data = path.read_bytes()
    first = parser_for(provider, path)
    first.end(first.feed(data[:cut]))
    assert state.save(directory, str(path), first) > 0
    resumed = state.load(directory, str(path), first.offset, parser_for(provider, path))
    assert resumed is not None and resumed is not first
    rest = data[resumed.offset:]
    resumed.end(resumed.feed(rest))
    return resumed.result()


@pytest.mark.parametrize("provider,path", [c for c in cases() if c[1].suffix == ".jsonl"],
                         ids=lambda v: getattr(v, "name", v))
def test_a_parser_resumed_at_any_point_ends_where_a_single_pass_does(provider, path, tmp_path):
    data = path.read_bytes()
    whole = facts(parse_bytes(provider, data, path=path))
    newlines = [i + 1 for i, b in enumerate(data) if b == 10]
    cuts = sorted({newlines[0], newlines[len(newlines) // 2], newlines[-2], newlines[len(newlines) // 3] + 7})
    for cut in cuts:
        assert facts(_feed_in_two(provider, path, cut, str(tmp_path / "state"))) == whole, cut


def test_codex_resume_is_recorded_once_per_run():
    run = [_codex("event_msg", {"type": "task_started"}),
           _codex("response_item", {"type": "message", "role": "user",
                                    "content": [{"type": "input_text", "text": "hi"}]}),
           _codex("event_msg", {"type": "task_complete"})]
    data = jl(_codex("session_meta", {"id": "c1"}), _codex("event_msg", {"type": "thread_settings_applied"}), *run,
              _codex("session_meta", {"id": "c1"}), _codex("event_msg", {"type": "thread_settings_applied"}), *run,
              _codex("event_msg", {"type": "thread_settings_applied"}), *run)
    assert parse_bytes("codex", data).resumes == [6, 11]


def test_a_state_keeps_nan_and_infinity_read_through_json(tmp_path):
    """orjson writes NaN as null; a parser that read one (only json reads them) keeps json's encoding."""
    call = {"type": "function_call", "name": "sh", "call_id": "c", "arguments": '{"x": NaN, "y": -Infinity}'}
    path = tmp_path / "rollout.jsonl"
    path.write_bytes(jl(_codex("session_meta", {"id": "c1"}), _codex("response_item", call)))
    parser = parser_for("codex", path)
    with open(path, "rb") as f:
        read_into(parser, f)
    directory = str(tmp_path / "state")
    assert state.save(directory, str(path), parser) > 0
    resumed = state.load(directory, str(path), parser.offset, parser_for("codex", path))
    got = resumed.session.tool_calls[0].input
    assert got["x"] != got["x"] and got["y"] == float("-inf")
    # ...and goes on writing it so after a resume
    assert state.save(directory, str(path), resumed) > 0
    again = state.load(directory, str(path), parser.offset, parser_for("codex", path))
    assert again.session.tool_calls[0].input["y"] == float("-inf")
