"""Every value that comes in is validated where it enters: a session id of any JSON type and
usage counts past 2**63, negative or fractional still give a finished row, with ids as bounded
strings, counts as non-negative integers within SQLite's range and the raw value flagged, and
/dashboard/ and /metrics render, also on a database an older relay filled with such values."""
import base64
import json
import sqlite3

import requests

from relay.models import MAX_ID_CHARS, MAX_TOKENS, Exchange, Usage, validate_exchange
from relay.store import Store
from tests.proxy.conftest import wait_rows
from tests.relay_process import RelayProcess

HUGE = 2**63 + 5


def _sse(*events):
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def _stream_with_usage(start_usage, delta_usage):
    msg = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x", "content": [],
           "stop_reason": None, "usage": start_usage}
    return _sse({"type": "message_start", "message": msg},
                {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": delta_usage},
                {"type": "message_stop"})


def _post(relay, session_id, stream_bytes):
    user_id = json.dumps({"session_id": session_id})
    body = json.dumps({"model": "claude-x", "stream": True, "metadata": {"user_id": user_id},
                       "messages": [{"role": "user", "content": "x"}],
                       "raw_chunks": [base64.b64encode(stream_bytes).decode()]}).encode()
    with requests.post(relay.url + "/v1/messages", data=body, stream=True, timeout=30,
                       headers={"content-type": "application/json", "x-fake-scenario": "raw"}) as resp:
        assert resp.status_code == 200
        assert b"".join(resp.raw.stream(65536, decode_content=False)) == stream_bytes


def _pages_render(relay):
    for page in ("/dashboard/", "/metrics", "/api/v1/requests", "/api/v1/cost"):
        resp = requests.get(relay.url + page, timeout=60)
        assert resp.status_code == 200, (page, resp.text[:500])


def test_odd_session_ids_and_usage_still_write_finished_rows(relay, tmp_path):
    sent = [({"nested": {"x": [1, 2]}}, {"input_tokens": HUGE}, {"output_tokens": -7}),
            ([1, "two"], {"input_tokens": 3.75, "cache_read_input_tokens": 2**63 - 1}, {"output_tokens": 5}),
            (10**23, {"input_tokens": 10, "cache_creation_input_tokens": float("1e300")}, {"output_tokens": 2}),
            ("s" * 5000, {"input_tokens": 1}, {"output_tokens": 1})]
    for session_id, start, delta in sent:
        _post(relay, session_id, _stream_with_usage(start, delta))
    rows = wait_rows(relay.url, len(sent))
    assert all(r["outcome"] == "ok" for r in rows), rows
    for row in rows:
        assert isinstance(row["session_id"], str) and 0 < len(row["session_id"]) <= MAX_ID_CHARS
        for name in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
            assert type(row[name]) is int and 0 <= row[name] <= MAX_TOKENS, (name, row)
    assert {r["session_id"] for r in rows} >= {'{"nested": {"x": [1, 2]}}', '[1, "two"]', str(10**23)}
    _pages_render(relay)
    relay.stop()
    conn = sqlite3.connect(tmp_path / "relay-home" / "relay.db")
    flags = [json.loads(v) for (v,) in conn.execute("SELECT invalid FROM exchanges WHERE invalid IS NOT NULL")]
    conn.close()
    assert {"input_tokens": str(HUGE)} in [{k: v for k, v in f.items() if k == "input_tokens"} for f in flags]
    assert any(f.get("output_tokens") == "-7" for f in flags)
    assert any(f.get("input_tokens") == "3.75" for f in flags)
    assert any("session_id" in f for f in flags)


def test_validation_is_idempotent_and_never_raises():
    ex = Exchange(id="x", ts=0.0, provider="anthropic", method="POST", path="/v1/messages",
                  session_id={"a": 10**5000}, model=["m"], usage=Usage(input_tokens=10**5000,
                                                                      output_tokens=float("nan")))
    validate_exchange(ex)
    assert ex.usage.input_tokens == MAX_TOKENS and ex.usage.output_tokens == 0
    assert isinstance(ex.session_id, str) and ex.model == '["m"]'
    first = dict(ex.invalid)
    validate_exchange(ex)
    assert ex.invalid == first


def test_rows_an_older_relay_stored_are_clamped_and_pages_render(upstream, tmp_path):
    db = tmp_path / "relay-home" / "relay.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    # As an older relay left it: no `invalid` column, and whatever upstream sent in the counts.
    conn.execute("DELETE FROM _relay_migrations WHERE name = 'm009_i16b_exchange_bounds'")
    conn.execute("ALTER TABLE exchanges DROP COLUMN invalid")
    for i, (inp, out) in enumerate([(2**63 - 1, 5), (2**63 - 1, 2**63 - 1), (-3, 2.5)]):
        conn.execute("INSERT INTO exchanges (id, ts, provider, method, path, model, status, input_tokens, "
                     "output_tokens, outcome) VALUES (?, strftime('%s','now'), 'anthropic', 'POST', '/v1/messages', "
                     "'claude-x', 200, ?, ?, 'ok')", (f"old-{i}", inp, out))
    conn.commit()
    conn.close()
    with RelayProcess(upstream.url) as relay:
        _pages_render(relay)
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT input_tokens, output_tokens, invalid FROM exchanges ORDER BY id").fetchall()
    conn.close()
    assert [r[:2] for r in rows] == [(MAX_TOKENS, 5), (MAX_TOKENS, MAX_TOKENS), (0, 2)]
    assert json.loads(rows[2][2]) == {"input_tokens": "-3", "output_tokens": "2.5"}
