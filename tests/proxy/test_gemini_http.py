"""Gemini's wire format through relay's /gemini mount (the Gemini CLI's own run is in
test_codex_gemini_cli.py), the other mounts' unreachable errors, and Codex quota from the proxy."""
import json
import socket

import requests

from tests.fake_wire import GEMINI_ROW, TEXT
from tests.proxy.conftest import wait_rows
from tests.relay_process import RelayProcess

KEY = "AIzaSy-relay-gemini-KEY-never-stored"
MODEL = "gemini-2.5-pro"
BODY = json.dumps({"contents": [{"role": "user", "parts": [{"text": "say hi"}]}],
                   "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}).encode()


def call(relay, method, query="", stream=False, **headers):
    return requests.post(f"{relay.url}/gemini/v1beta/models/{MODEL}:{method}{query}", data=BODY, timeout=10,
                         stream=stream, headers={"content-type": "application/json", **headers})


def test_stream_is_byte_exact_and_recorded(relay, upstream):
    with call(relay, "streamGenerateContent", "?alt=sse", stream=True, **{"x-goog-api-key": KEY}) as resp:
        raw = b"".join(resp.raw.stream(1024, decode_content=False))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
    chunks = [json.loads(part[len(b"data: "):]) for part in raw.split(b"\r\n\r\n") if part]
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == TEXT
    seen = upstream.requests[0]
    assert seen["path"] == f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
    assert seen["body"] == BODY and seen["headers"]["x-goog-api-key"] == KEY
    [row] = wait_rows(relay.url, 1)
    assert row["provider"] == "gemini" and row["model"] == MODEL and row["stream"] is True
    assert {k: row[k] for k in GEMINI_ROW} == GEMINI_ROW
    assert row["stop_reason"] == "STOP" and row["outcome"] == "ok" and row["message_id"].startswith("fake-")
    assert KEY not in json.dumps(row)
    page = requests.get(relay.url + "/", timeout=10).text
    assert "<td>gemini</td><td>gemini-2.5-pro</td>" in page and KEY not in page


def test_generate_count_tokens_and_query_key_is_never_stored(relay, upstream, tmp_path):
    plain = call(relay, "generateContent", f"?key={KEY}")
    assert plain.json()["candidates"][0]["content"]["parts"][0]["text"] == TEXT
    assert upstream.requests[0]["path"] == f"/v1beta/models/{MODEL}:generateContent?key={KEY}"
    assert call(relay, "countTokens", f"?key={KEY}").json() == {"totalTokens": 42}
    error = call(relay, "generateContent", **{"x-fake-scenario": "error-429", "x-goog-api-key": KEY})
    assert error.status_code == 429 and error.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    rows = wait_rows(relay.url, 3)
    by_path = {r["path"]: r for r in rows}
    assert set(by_path) == {f"/v1beta/models/{MODEL}:generateContent?key=***",
                            f"/v1beta/models/{MODEL}:countTokens?key=***", f"/v1beta/models/{MODEL}:generateContent"}
    counted = by_path[f"/v1beta/models/{MODEL}:countTokens?key=***"]
    assert counted["input_tokens"] == counted["output_tokens"] == 0 and counted["outcome"] == "ok"
    assert {k: by_path[f"/v1beta/models/{MODEL}:generateContent?key=***"][k] for k in GEMINI_ROW} == GEMINI_ROW
    assert by_path[f"/v1beta/models/{MODEL}:generateContent"]["outcome"] == "upstream_error"
    relay.stop()
    blobs = b"".join(p.read_bytes() for p in (tmp_path / "relay-home").rglob("*") if p.is_file())
    assert blobs and KEY.encode() not in blobs


def test_codex_rate_limit_headers_feed_the_quota(relay, upstream):
    resp = requests.post(relay.url + "/openai/v1/responses", timeout=10, headers={"authorization": "Bearer sk-q"},
                         json={"model": "gpt-5-codex", "input": "hi"})
    assert resp.status_code == 200
    wait_rows(relay.url, 1)
    quota = requests.get(relay.url + "/api/v1/quota", timeout=10).json()["quota"]
    assert quota["source"] == "measured"
    windows = {w["name"]: w for w in quota["codex"]["windows"]}
    assert (windows["primary"]["utilization_pct"], windows["primary"]["window_minutes"]) == (12.5, 300)
    assert (windows["secondary"]["utilization_pct"], windows["secondary"]["window_minutes"]) == (40, 10080)


def test_unreachable_upstream_errors_are_each_providers_shape():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    with RelayProcess(f"http://127.0.0.1:{dead}") as relay:
        resp = requests.post(relay.url + "/openai/v1/responses", json={"model": "gpt-5-codex", "input": "hi"},
                             timeout=10)
        assert resp.status_code == 502 and set(resp.json()["error"]) == {"message", "type", "param", "code"}
        assert resp.json()["error"]["message"].startswith("relay: upstream unreachable")
        assert f"mount /openai -> 127.0.0.1:{dead}" in resp.json()["error"]["message"]
        resp = call(relay, "generateContent")
        assert resp.status_code == 502
        assert f"mount /gemini -> 127.0.0.1:{dead}" in resp.json()["error"]["message"]
        assert resp.json()["error"]["status"] == "UNAVAILABLE" and resp.json()["error"]["code"] == 502
        rows = wait_rows(relay.url, 2)
        assert sorted(r["provider"] for r in rows) == ["gemini", "openai"]
        assert all(r["outcome"] == "unreachable" and r["status"] == 502 for r in rows)
