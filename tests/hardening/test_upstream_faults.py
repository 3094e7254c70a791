"""The fault matrix's network half: upstream resets and stalls at each phase, a client too slow
to read, a client leaving at each phase. Every case: the client sees what upstream did, the row
says what happened, and relay goes on serving."""
import os
import socket
import threading
import time

import psutil
import pytest
import requests

from tests.fake_upstream import sse
from tests.proxy.conftest import messages_body, wait_rows
from tests.proxy.test_faults import open_stream, post
from tests.relay_process import RelayProcess


def _read_all(resp):
    got = b""
    try:
        for chunk in resp.raw.stream(65536, decode_content=False):
            got += chunk
    except Exception:  # noqa: BLE001 - a cut stream raises in the client; what arrived is what counts
        pass
    return got


def _still_serving(relay):
    assert post(relay, messages_body(stream=False)).status_code == 200


def test_reset_before_headers_is_a_provider_error(relay, upstream):
    resp = post(relay, messages_body(), scenario="reset-before-headers")
    assert resp.status_code == 502
    assert resp.json()["error"]["type"] == "api_error"
    [row] = wait_rows(relay.url, 1)
    assert row["outcome"] == "unreachable" and row["status"] == 502
    _still_serving(relay)


def test_reset_after_headers_cuts_the_client_too(relay, upstream):
    # The server sends the status line with the first body byte, and there is none: the client
    # sees the connection dropped (or, at most, the headers and an empty cut body): never a
    # complete or invented response.
    try:
        with post(relay, messages_body(), scenario="reset-after-headers", stream=True) as resp:
            assert resp.status_code == 200
            assert _read_all(resp) == b""
    except requests.ConnectionError:
        pass
    [row] = wait_rows(relay.url, 1)
    assert row["outcome"] == "upstream_closed" and row["status"] == 200
    _still_serving(relay)


def test_reset_mid_event_relays_exactly_the_bytes_before_it(relay, upstream):
    with post(relay, messages_body(), scenario="reset-mid-event", stream=True) as resp:
        got = _read_all(resp)
    assert got.startswith(b"event: message_start")
    # the half event upstream sent arrives as it is: relay neither completes nor drops it
    full = sse("content_block_start", {"type": "content_block_start", "index": 0,
                                       "content_block": {"type": "text", "text": ""}})
    tail = got[got.index(b"event: content_block_start"):]
    assert full.startswith(tail) and len(tail) == len(full) // 2
    [row] = wait_rows(relay.url, 1)
    assert row["outcome"] == "upstream_closed"
    assert row["input_tokens"] == 12   # what message_start said is kept
    _still_serving(relay)


@pytest.fixture
def impatient_relay(upstream, monkeypatch):
    monkeypatch.setenv("RELAY_READ_TIMEOUT", "0.5")
    process = RelayProcess(upstream.url).start()
    yield process
    process.stop()


def test_stall_longer_than_read_timeout_is_given_up(impatient_relay, upstream):
    relay = impatient_relay
    with post(relay, messages_body(), scenario="stall-3000", stream=True) as resp:
        got = _read_all(resp)
    assert got.startswith(b"event: message_start") and b"message_stop" not in got
    silent = post(relay, messages_body(), scenario="stall-headers-3000")
    assert silent.status_code == 502 and "timed out" in silent.json()["error"]["message"]
    rows = wait_rows(relay.url, 2)
    by_outcome = {r["outcome"]: r for r in rows}
    assert set(by_outcome) == {"upstream_closed", "unreachable"}
    assert "timed out" in by_outcome["upstream_closed"]["error"].lower()


def test_pause_shorter_than_read_timeout_is_fine(impatient_relay, upstream):
    with post(impatient_relay, messages_body(), scenario="stall-200", stream=True) as resp:
        assert b"message_stop" in _read_all(resp)
    [row] = wait_rows(impatient_relay.url, 1)
    assert row["outcome"] == "ok"


def _quiet(value, settle=0.5, timeout=20):
    """Poll value() until it stops changing for `settle` seconds; returns the value."""
    deadline = time.time() + timeout
    last, since = value(), time.time()
    while time.time() < deadline:
        time.sleep(0.05)
        now = value()
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= settle:
            return now
    return last


def test_slow_client_holds_upstream_back_instead_of_buffering(relay, upstream):
    total = 48 * 1024 * 1024
    rss_before = psutil.Process(relay.proc.pid).memory_info().rss
    client, got = open_stream(relay, f"flood-{total}")   # reads the head, then stops reading
    stalled = _quiet(lambda: upstream.sent)
    rss_stalled = psutil.Process(relay.proc.pid).memory_info().rss
    assert stalled < total / 2, f"relay read {stalled} bytes ahead of a client that reads nothing"
    assert rss_stalled - rss_before < 32 * 1024 * 1024
    client.settimeout(30)
    while not got.endswith(b"0\r\n\r\n"):
        data = client.recv(1 << 20)
        assert data, "stream ended before its final chunk"
        got += data
    client.close()
    assert len(got) > total and b"message_stop" in got
    [row] = wait_rows(relay.url, 1)
    assert row["outcome"] == "ok" and row["response_bytes"] > total


def _raw_request(relay, head_extra=b"", body=None, send_body=True):
    body = messages_body() if body is None else body
    client = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
    client.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   + head_extra + b"Content-Length: %d\r\n\r\n" % len(body))
    if send_body:
        client.sendall(body)
    return client, body


def test_client_leaving_mid_request_body_sends_nothing_upstream(relay, upstream):
    client, body = _raw_request(relay, send_body=False)
    client.sendall(body[:len(body) // 2])
    client.close()
    _still_serving(relay)
    # the half body never reaches upstream as if it were the request
    assert all(r["body"] == messages_body(stream=False) for r in upstream.requests)


def test_client_leaving_before_response_headers(relay, upstream):
    client, _ = _raw_request(relay, b"x-fake-scenario: stall-headers-1000\r\n")
    time.sleep(0.1)   # the request is on its way upstream
    client.close()
    [row] = wait_rows(relay.url, 1, timeout=15)
    assert row["outcome"] == "client_closed"   # the client left 0.9 s before the headers came
    _still_serving(relay)


def test_client_leaving_after_the_last_byte(relay, upstream):
    client, got = open_stream(relay, "", until=b"0\r\n\r\n")
    client.close()
    [row] = wait_rows(relay.url, 1)
    assert row["outcome"] == "ok" and row["output_tokens"] == 7
    _still_serving(relay)


def test_many_clients_leaving_mid_stream_leak_nothing(relay, upstream):
    clients = [open_stream(relay, "hang")[0] for _ in range(20)]
    for client in clients:
        client.close()
    rows = wait_rows(relay.url, 20, timeout=20)
    assert {r["outcome"] for r in rows} == {"client_closed"}
    health = requests.get(relay.url + "/api/v1/health", timeout=5).json()
    assert health["counts"]["in_flight"] == 0
    _still_serving(relay)


class _SlowReader:
    """An upstream on a slow uplink: it takes the request body at about `rate` bytes a second
    (a small receive buffer, so relay's send waits on it), then answers a JSON message."""

    def __init__(self, rate):
        self.rate = rate
        self.received = None
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.sock.accept()
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(1)
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))
            got = 0
            while got < length:
                got += len(conn.recv(min(8192, length - got)))
                time.sleep(8192 / self.rate)
            self.received = got
            body = b'{"type":"message","usage":{"input_tokens":1,"output_tokens":1}}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (len(body), body))

    def close(self):
        self.sock.close()
        self.thread.join(5)


def test_an_upload_slower_than_the_connect_timeout_is_not_refused(tmp_path):
    """The connect timeout bounds making the connection, not sending the body: a body that takes
    longer than it to reach upstream (a slow uplink) still gets upstream's answer."""
    upstream = _SlowReader(rate=4 * 1024 * 1024)
    body = b'{"model":"m","messages":[],"pad":"' + b"x" * (12 * 1024 * 1024) + b'"}'
    env = {**os.environ, "RELAY_CONNECT_TIMEOUT": "0.5"}
    try:
        with RelayProcess(upstream.url, env=env) as relay:
            resp = post(relay, body)
            assert resp.status_code == 200, resp.text
            assert upstream.received == len(body)
    finally:
        upstream.close()
