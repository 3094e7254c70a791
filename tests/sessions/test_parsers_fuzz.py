"""Fuzz: mutated session files (byte flips, truncation, shuffled lines, random JSON records with
the keys the parsers look at) never make a parser raise, fed whole or in pieces; and the same
files laid out in the CLI homes go through discovery, the index (a saved parser state resumed
after an append) and the store, whose rows hold only counts SQLite can sum."""
import json
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay.models import MAX_TOKENS
from relay.sessions import index
from relay.sessions.discover import discover
from relay.sessions.parsers import parse_bytes, parser_for
from relay.store import Store, usage_index
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


_COUNT = re.compile(rb'("[A-Za-z_]*(?:[Tt]okens?|[Tt]oken[A-Z][A-Za-z]*|input|output|cached|thoughts|tool)":\s*)\d+')


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    lines = bytes(data).split(b"\n")
    if draw(st.booleans()):
        lines = draw(st.permutations(lines))
    if draw(st.booleans()):     # counts no model reports: past 2**63, negative, fractional, infinite
        odd = st.sampled_from([b"100000000000000000000000000000", b"9223372036854775808", b"-5", b"12.5", b"1e400"])
        lines = [_COUNT.sub(lambda m: m.group(1) + draw(odd), line) for line in lines]
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


_LAYOUT = {"RELAY_CLAUDE_HOME": "projects/-fuzz/fuzz-1.jsonl",
           "RELAY_CODEX_HOME": "sessions/2026/11/22/rollout-2026-11-22T10-00-00-fuzz.jsonl",
           "RELAY_GEMINI_HOME": "tmp/p1/chats/session-2026-11-22T10-00-fuzz0000.jsonl"}
_COUNTS = (*usage_index.TOKENS, "prompt_tokens")


def index_round_trip(data, cut):
    """Lay `data` out as a session of each CLI, index its first `cut` bytes, append the rest and
    index again (resuming from the saved state), then read every usage row back."""
    root = Path(tempfile.mkdtemp(prefix="relay-fuzz-index-"))
    try:
        env = {name: str(root / name) for name in _LAYOUT}
        files = [root / name / rel for name, rel in _LAYOUT.items()]
        files.append(files[-1].with_name("session-2026-11-22T10-00-fuzzjson.json"))
        for path in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data[:cut])
        store = Store(root / "data" / "relay.db").start()
        try:
            index.update(store, discover(environ=env), workers=1)
            for path in files:
                with open(path, "ab") as f:
                    f.write(data[cut:])
            index.update(store, discover(environ=env), workers=1)
            rows = store.read(lambda conn: conn.execute(
                f"SELECT {', '.join(_COUNTS)} FROM message_usage").fetchall())
            totals = store.read(lambda conn: conn.execute(
                f"SELECT {', '.join(f'SUM({c})' for c in _COUNTS)} FROM message_usage").fetchone())
        finally:
            store.close()
        assert all(type(v) is int and 0 <= v <= MAX_TOKENS * 4 for row in rows for v in row), rows
        assert all(v is None or type(v) is int for v in totals)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated() | st.lists(records, min_size=1, max_size=12).map(b"\n".join), cut=st.floats(0, 1))
def test_mutated_session_files_go_through_the_index_and_the_store(data, cut):
    index_round_trip(data, int(cut * len(data)))
