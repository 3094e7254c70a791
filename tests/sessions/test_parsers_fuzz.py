"""Fuzz: mutated session files (byte flips, truncation, shuffled lines, random JSON records with
the keys the parsers look at) never make a parser raise, fed whole or in pieces."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay.sessions.parsers import parse_bytes, parser_for
from tests.regen_sessions import cases, facts

SAMPLES = [path.read_bytes() for _, path in cases()]
PARSERS = [("claude", "f.jsonl"), ("codex", "f.jsonl"), ("gemini", "f.jsonl"), ("gemini", "f.json")]
KEYS = ["type", "subtype", "message", "content", "usage", "payload", "id", "requestId", "uuid", "role", "text",
        "tool_use_id", "input", "name", "$set", "messages", "tokens", "toolCalls", "result", "functionResponse",
        "response", "output", "info", "total_token_usage", "last_token_usage", "call_id", "arguments", "rendered",
        "attachment", "compactMetadata", "preTokens", "isSidechain", "isMeta", "sessionId", "timestamp", "thoughts"]
TYPES = ["user", "assistant", "attachment", "system", "gemini", "session_meta", "response_item", "event_msg",
         "token_usage_record", "turn_context", "compacted", "message", "function_call", "function_call_output",
         "reasoning", "tool_use", "tool_result", "text", "thinking", "token_count", "compact_boundary", "cost-state"]

scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.sampled_from(TYPES)
           | st.text(max_size=20))
json_values = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), children, max_size=6),
                           max_leaves=30)
records = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8).map(
    lambda d: json.dumps(d, allow_nan=True).encode())


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    lines = bytes(data).split(b"\n")
    if draw(st.booleans()):
        lines = draw(st.permutations(lines))
    extra = draw(st.lists(records, max_size=6))
    for record in extra:
        lines.insert(draw(st.integers(0, len(lines))), record)
    data = bytearray(b"\n".join(lines))
    for _ in range(draw(st.integers(0, 8))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]
    return bytes(data)


def _check(provider, name, data, cut):
    session = parse_bytes(provider, data, path=name)
    facts(session)
    parser = parser_for(provider, name)
    tail = parser.feed(data[:cut])
    parser.feed(tail + data[cut:])
    parser.end(b"")
    facts(parser.result())


@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated(), cut=st.floats(0, 1))
def test_mutated_session_files_never_raise(data, cut):
    for provider, name in PARSERS:
        _check(provider, name, data, int(cut * len(data)))


@settings(max_examples=300, deadline=None, database=None)
@given(lines=st.lists(records | st.binary(max_size=40), max_size=20))
def test_random_records_never_raise(lines):
    data = b"\n".join(lines)
    for provider, name in PARSERS:
        _check(provider, name, data, len(data) // 2)
