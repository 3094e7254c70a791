"""Builders for models in tests: small sessions written as a list of messages.

    make_session([user("hi"), assistant(text("hello"), tool_use("t1", "Read", {"file_path": "a"})),
                  user(tool_result("t1", "contents")), assistant(text("done"))])

Lines are numbered 1, 2, 3 ... in list order unless a message sets its own, and tool_calls are
paired from the blocks the way the parsers pair them (a tool_use and the tool_result with its id).
"""
from pathlib import Path

from relay.models import Block, Compaction, Message, ParseStats, Session, ToolCall, Usage


def make_usage(input=0, output=0, cache_read=0, cache_write=0, cache_write_1h=0, reasoning=0):
    return Usage(input_tokens=input, output_tokens=output, cache_read_input_tokens=cache_read,
                 cache_creation_input_tokens=cache_write + cache_write_1h,
                 cache_creation_5m_input_tokens=cache_write, cache_creation_1h_input_tokens=cache_write_1h,
                 reasoning_tokens=reasoning)


def text(value):
    return Block(kind="text", text=value)


def thinking(value):
    return Block(kind="thinking", text=value)


def tool_use(tool_id, name, input=None):
    return Block(kind="tool_use", tool_id=tool_id, name=name, input=input if input is not None else {})


def tool_result(tool_id, value="ok", is_error=False):
    return Block(kind="tool_result", tool_id=tool_id, text=value, is_error=is_error)


def make_message(role, *blocks, **fields):
    blocks = [text(b) if isinstance(b, str) else b for b in blocks]
    if role == "user" and "synthetic" not in fields and blocks and all(b.kind == "tool_result" for b in blocks):
        fields["synthetic"] = "tool_result"
    return Message(role=role, blocks=blocks, **fields)


def user(*blocks, **fields):
    return make_message("user", *blocks, **fields)


def assistant(*blocks, usage=None, **fields):
    return make_message("assistant", *blocks, usage=usage, **fields)


def system(*blocks, **fields):
    return make_message("system", *blocks, **fields)


def make_session(messages=(), provider="claude", session_id="sess-1", compactions=(), resumes=(),
                 stats=None, path="/tmp/sess-1.jsonl", **fields):
    messages = list(messages)
    line = 0
    for msg in messages:
        line = msg.line if msg.line else line + 1
        msg.line = line
        if msg.role == "assistant" and msg.message_id is None:
            msg.message_id = f"msg-{line}"
    session = Session(provider=provider, session_id=session_id, path=path, messages=messages,
                      compactions=[c if isinstance(c, Compaction) else Compaction(line=c) for c in compactions],
                      resumes=list(resumes), stats=stats or ParseStats(lines=line), **fields)
    session.tool_calls = _pair(messages)
    for msg in messages:
        if msg.usage is not None:
            session.usage = session.usage + msg.usage
    return session


def _pair(messages):
    calls, open_calls = [], {}
    for index, msg in enumerate(messages):
        for block in msg.blocks:
            if block.kind == "tool_use":
                call = ToolCall(id=block.tool_id, name=block.name, input=block.input, line=msg.line,
                                message_index=index)
                calls.append(call)
                open_calls[block.tool_id] = call
            elif block.kind == "tool_result" and block.tool_id in open_calls:
                call = open_calls.pop(block.tool_id)
                call.result, call.result_line, call.is_error = block.text, msg.line, block.is_error
    return calls


DATA_SESSIONS = Path(__file__).resolve().parent / "data" / "sessions"


def fixture_path(provider, name):
    """A recorded session file of a real CLI, kept in tests/data/sessions/<provider>/."""
    return DATA_SESSIONS / provider / name


def fixture_session(provider, name):
    from relay.sessions.parsers import parse_file
    return parse_file(provider, fixture_path(provider, name))
