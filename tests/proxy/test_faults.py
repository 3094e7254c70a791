"""Bad input and faults: the client sees exactly what upstream did, the row says what happened,
and relay keeps serving."""
import json
import os
import signal
import socket
import time

import requests

from tests.proxy.conftest import messages_body, wait_rows
from tests.relay_process import RelayProcess

KEY = "sk-ant-api03-secret-KEY-must-never-be-stored"


def post(relay, body, scenario=None, stream=False, path="/v1/messages", **headers):
    headers = {"content-type": "application/json", "x-api-key": KEY, "anthropic-version": "2023-06-01", **headers}
    if scenario:
        headers["x-fake-scenario"] = scenario
    return requests.post(relay.url + path, data=body, headers=headers, stream=stream, timeout=30)


def test_stream_is_forwarded_event_by_event_and_recorded(relay, upstream):
    body = messages_body(metadata={"user_id": json.dumps({"device_id": "d", "session_id": "meta-session"})})
    with post(relay, body, stream=True) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        raw = b"".join(resp.raw.stream(1024, decode_content=False))
    assert raw.count(b"event: content_block_delta") == 4
    assert raw.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert upstream.requests[0]["body"] == body
    assert upstream.requests[0]["headers"]["x-api-key"] == KEY
    [row] = wait_rows(relay.url, 1)
    assert row["session_id"] == "meta-session"
    assert (row["input_tokens"], row["output_tokens"]) == (12, 7)
    assert (row["cache_creation_input_tokens"], row["cache_creation_5m_input_tokens"],
            row["cache_creation_1h_input_tokens"], row["cache_read_input_tokens"]) == (1500, 500, 1000, 3000)
    assert row["stream"] is True and row["stop_reason"] == "end_turn" and row["outcome"] == "ok"
    assert row["message_id"].startswith("msg_fake_") and row["request_id"].startswith("req_fake_")
    assert row["ratelimit"]["anthropic-ratelimit-unified-5h-utilization"] == "0.12"
    assert row["ttfb_ms"] > 0 and row["duration_ms"] >= row["ttfb_ms"]


def test_session_header_wins_and_query_headers_pass(relay, upstream):
    resp = post(relay, messages_body(stream=False), path="/v1/messages?beta=true",
                **{"X-Claude-Code-Session-Id": "hdr-session", "anthropic-beta": "claude-code-20250219"})
    assert resp.status_code == 200 and resp.json()["usage"]["output_tokens"] == 7
    seen = upstream.requests[0]
    assert seen["path"] == "/v1/messages?beta=true"
    assert seen["headers"]["anthropic-beta"] == "claude-code-20250219"
    [row] = wait_rows(relay.url, 1)
    assert row["session_id"] == "hdr-session" and row["path"] == "/v1/messages?beta=true"
    assert row["stream"] is False and row["input_tokens"] == 12


def test_count_tokens_head_and_get_pass_through(relay, upstream):
    assert post(relay, messages_body(), path="/v1/messages/count_tokens").json() == {"input_tokens": 42}
    head = requests.head(relay.url + "/v1/messages", timeout=10)
    assert head.status_code == 200
    models = requests.get(relay.url + "/v1/models?limit=5", timeout=10)
    assert models.json()["data"][0]["id"] == "claude-opus-5-5"
    assert [r["method"] for r in upstream.requests] == ["POST", "HEAD", "GET"]
    assert upstream.requests[2]["path"] == "/v1/models?limit=5"
    rows = wait_rows(relay.url, 3)
    assert {r["method"] for r in rows} == {"POST", "HEAD", "GET"}


def test_upstream_errors_pass_through_exactly(relay, upstream):
    for status in (429, 529, 500):
        resp = post(relay, messages_body(stream=False), scenario=f"error-{status}")
        assert resp.status_code == status
        assert resp.headers["retry-after"] == "17"
        assert resp.json()["error"]["message"] == f"fake {status}"
    rows = wait_rows(relay.url, 3)
    assert sorted(r["status"] for r in rows) == [429, 500, 529]
    for row in rows:
        assert row["outcome"] == "upstream_error"
        assert row["ratelimit"]["retry-after"] == "17"
        assert row["ratelimit"]["anthropic-ratelimit-unified-status"] == "rejected"


def test_upstream_unreachable_gives_provider_error_and_marks_row(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    with RelayProcess(f"http://127.0.0.1:{dead}") as relay:
        resp = post(relay, messages_body())
        assert resp.status_code == 502
        error = resp.json()
        assert error["type"] == "error" and error["error"]["type"] == "api_error"
        assert error["error"]["message"].startswith("relay: ")
        # It says which upstream failed: the mount and its host.
        assert f"mount /v1 -> 127.0.0.1:{dead}" in error["error"]["message"]
        [row] = wait_rows(relay.url, 1)
        assert f"127.0.0.1:{dead}" in row["error"]
        assert row["outcome"] == "unreachable" and row["status"] == 502
        assert requests.get(relay.url + "/api/v1/health", timeout=5).json()["ok"] is True


def test_upstream_closing_mid_stream_ends_client_stream_there(relay, upstream):
    with post(relay, messages_body(), scenario="close-mid-stream", stream=True) as resp:
        got = b""
        try:
            for chunk in resp.raw.stream(1024, decode_content=False):
                got += chunk
        except Exception:  # the client sees the same truncation upstream caused
            pass
    assert got.startswith(b"event: message_start")
    assert b"content_block_delta" not in got and b"message_stop" not in got
    [row] = wait_rows(relay.url, 1)
    assert row["outcome"] == "upstream_closed"
    assert row["input_tokens"] == 12
    assert post(relay, messages_body(stream=False)).status_code == 200  # still serving


def open_stream(relay, scenario, until=b"message_start"):
    """A raw client connection holding a streaming exchange open after `until` arrived."""
    body = messages_body()
    client = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
    client.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   b"x-fake-scenario: %s\r\nContent-Length: %d\r\n\r\n%s" % (scenario.encode(), len(body), body))
    got = b""
    while until not in got:
        got += client.recv(65536)
    assert got.startswith(b"HTTP/1.1 200")
    return client, got


def test_client_disconnect_closes_upstream_promptly(relay, upstream):
    client, _ = open_stream(relay, "hang")
    client.close()
    deadline = time.time() + 10
    while not upstream.disconnects and time.time() < deadline:
        time.sleep(0.02)
    assert upstream.disconnects, "relay kept the upstream connection open after the client left"
    [row] = wait_rows(relay.url, 1)
    assert row["outcome"] == "client_closed"


def test_malformed_json_is_forwarded_unchanged(relay, upstream):
    body = b'{"model": "claude-opus-5-5", "messages": [ this is not json'
    resp = post(relay, body)
    assert resp.status_code == 400
    assert resp.json()["error"]["type"] == "invalid_request_error"
    assert upstream.requests[0]["body"] == body
    [row] = wait_rows(relay.url, 1)
    assert row["outcome"] == "upstream_error" and row["model"] is None


def test_ten_megabyte_body_is_forwarded_intact(relay, upstream):
    filler = os.urandom(5 * 1024 * 1024).hex()
    body = json.dumps({"model": "claude-opus-5-5", "max_tokens": 8, "stream": False,
                       "messages": [{"role": "user", "content": filler}]}).encode()
    assert len(body) > 10 * 1024 * 1024
    assert post(relay, body).status_code == 200
    assert upstream.requests[0]["body"] == body
    [row] = wait_rows(relay.url, 1)
    assert row["request_bytes"] == len(body)


def test_gzip_response_passes_encoded_and_is_still_counted(relay, upstream):
    resp = post(relay, messages_body(stream=False), scenario="gzip", **{"accept-encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip"
    assert resp.json()["usage"]["output_tokens"] == 7
    with post(relay, messages_body(), scenario="gzip", stream=True, **{"accept-encoding": "gzip, br, zstd"}) as sresp:
        assert sresp.headers["content-encoding"] == "gzip"
        assert b"message_stop" in sresp.content
    rows = wait_rows(relay.url, 2)
    assert all(r["output_tokens"] == 7 and r["outcome"] == "ok" for r in rows)
    assert upstream.requests[1]["headers"]["accept-encoding"] == "gzip"


def test_sigkill_mid_stream_keeps_earlier_rows(upstream):
    relay = RelayProcess(upstream.url).start()
    try:
        assert post(relay, messages_body(stream=False)).status_code == 200
        wait_rows(relay.url, 1)
        client, _ = open_stream(relay, "hang")
        deadline = time.time() + 10  # the open row is committed by the writer, not at once
        while requests.get(relay.url + "/api/v1/health", timeout=5).json()["counts"]["in_flight"] != 1:
            assert time.time() < deadline
            time.sleep(0.02)
        relay.proc.send_signal(signal.SIGKILL)
        relay.proc.wait(10)
        client.close()
    finally:
        relay.stop()
    with RelayProcess(upstream.url) as again:
        rows = wait_rows(again.url, 2)
        assert sorted(r["outcome"] for r in rows) == ["interrupted", "ok"]
        assert again.wait_stderr("marked 1 exchange")


def test_sigterm_lets_open_streams_finish(upstream):
    relay = RelayProcess(upstream.url).start()
    client, got = open_stream(relay, "spaced-100")
    assert relay.stop(signal.SIGTERM) == 0
    while True:
        data = client.recv(65536)
        if not data:
            break
        got += data
    client.close()
    assert b"message_stop" in got and got.endswith(b"0\r\n\r\n")
    assert relay.wait_stderr("relay: stopped")
    with RelayProcess(upstream.url) as again:
        [row] = wait_rows(again.url, 1)
        assert row["outcome"] == "ok" and row["output_tokens"] == 7


def test_api_key_never_on_disk(relay, upstream, tmp_path):
    post(relay, messages_body(), stream=False)
    post(relay, messages_body(), scenario="error-429")
    requests.post(relay.url + "/v1/messages", data=messages_body(stream=False), timeout=10,
                  headers={"authorization": f"Bearer {KEY}-oauth", "cookie": f"session={KEY}-cookie"})
    wait_rows(relay.url, 3)
    relay.stop()
    data_dir = tmp_path / "relay-home"
    blobs = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert blobs and KEY.encode() not in blobs
    assert relay.wait_stderr("relay: stopped")  # all of stderr has been read
    assert KEY not in "".join(relay.stderr_lines)


def test_port_in_use_is_one_clear_line(upstream):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        import subprocess
        import sys

        from tests.relay_process import ROOT
        done = subprocess.run([sys.executable, str(ROOT / "relay.py"), "serve", "--port", str(port)],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode != 0
    assert f"Error: port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Hint:" in done.stderr and "Traceback" not in done.stderr


def test_api_rejects_foreign_host_header(relay):
    ok = requests.get(relay.url + "/api/v1/health", timeout=5)
    assert ok.json()["ok"] is True and ok.json()["version"]
    evil = requests.get(relay.url + "/api/v1/health", headers={"Host": "evil.example:8083"}, timeout=5)
    assert evil.status_code == 403
    assert evil.json() == {"ok": False, "error": evil.json()["error"], "status": 403}


def test_api_errors_share_one_envelope(relay):
    missing = requests.get(relay.url + "/api/v1/requests/nope", timeout=5)
    assert missing.status_code == 404 and missing.json()["ok"] is False
    bad = requests.get(relay.url + "/api/v1/requests?limit=zero", timeout=5)
    assert bad.status_code == 400 and "limit" in bad.json()["error"]
    unknown = requests.get(relay.url + "/api/v1/nothing-here", timeout=5)
    assert unknown.json() == {"ok": False, "error": unknown.json()["error"], "status": 404}


def test_sessions_api_sums_tokens_by_session(relay, upstream):
    for sid in ("s-a", "s-a", "s-b"):
        post(relay, messages_body(stream=False), **{"X-Claude-Code-Session-Id": sid})
    wait_rows(relay.url, 3)
    sessions = {s["session_id"]: s for s in requests.get(relay.url + "/api/v1/sessions", timeout=5).json()["sessions"]}
    assert sessions["s-a"]["requests"] == 2 and sessions["s-b"]["requests"] == 1
    assert sessions["s-a"]["tokens"]["cache_creation_1h_input_tokens"] == 2000
    assert sessions["s-a"]["models"] == ["claude-opus-5-5"]
    filtered = wait_rows(relay.url, 1, session_id="s-b")
    assert [r["session_id"] for r in filtered] == ["s-b"]


def test_waitress_server_streams_and_records(upstream):
    with RelayProcess(upstream.url, "--server", "waitress") as relay:
        assert relay.wait_stderr("relay waitress listening")
        with post(relay, messages_body(), scenario="spaced-20", stream=True) as resp:
            chunks = list(resp.raw.stream(65536, decode_content=False))
        assert len(chunks) > 3, "waitress buffered the stream instead of passing events on"
        assert b"".join(chunks).endswith(b'data: {"type":"message_stop"}\n\n')
        [row] = wait_rows(relay.url, 1)
        assert row["outcome"] == "ok" and row["output_tokens"] == 7


def test_index_page_escapes_recorded_values(relay, upstream):
    hostile = "<script>alert(1)</script>"
    post(relay, messages_body(stream=False), **{"X-Claude-Code-Session-Id": hostile})
    wait_rows(relay.url, 1)
    page = requests.get(relay.url + "/", timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "&lt;script&gt;" in page.text and "<script>" not in page.text
    assert "claude-opus-5-5" in page.text
    assert requests.get(relay.url + "/static/app.css", timeout=5).status_code == 200
