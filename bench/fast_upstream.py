"""A fast fake Anthropic upstream for bench/proxy_overhead.py: canned SSE bytes from raw gevent sockets.

tests/fake_upstream.py is a ThreadingHTTPServer (a thread per connection, json.loads of every
body, http.server's header parsing); its own jitter would swamp the sub-millisecond numbers this
benchmark is after. This one parses only the request line and the headers it needs, skips the
body without decoding it, and answers with pre-built bytes. It speaks HTTP/1.1 keep-alive and
chunked SSE with the real event sequence (message_start ... message_stop), so relay's side
reader does its normal work.

    python bench/fast_upstream.py [PORT]      prints `listening http://127.0.0.1:PORT`

`x-fake-scenario` picks the answer:
  (none)               headers + message_start in one write, then the rest of the stream in a second;
                       in the provider's format by path: /v1/responses an OpenAI Responses stream,
                       /v1beta/... a Gemini SSE stream, /backend-api/codex/responses Responses, /v1internal:...
                       a Code Assist stream (tests/fake_wire.py), else Anthropic
  spaced-<ms>-<n>[-<t0>]  message_start, then n text deltas <ms> apart, each carrying the monotonic
                       ns time at which it was handed to the socket ("text":"t<ns>"), then the end;
                       with t0 (CLOCK_MONOTONIC ns) delta i is due at t0 + i * ms, so two streams
                       asked for with the same t0 get their events at the same moments
  hold-<s>             message_start, then one text delta per second for <s> seconds, then the end
GET /_stats answers {"active", "peak", "completed"} for hold streams; POST /_reset zeroes them.
"""
import json
import socket
import sys
import time
from pathlib import Path

import gevent
from gevent.server import StreamServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import fake_wire  # noqa: E402
from tests.fake_upstream import RATELIMIT_HEADERS, message, sse, stream_events  # noqa: E402

_STATS = {"active": 0, "peak": 0, "completed": 0}


def _chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def _head(content_type="text/event-stream; charset=utf-8", length=None, ratelimit=RATELIMIT_HEADERS):
    lines = ["HTTP/1.1 200 OK", f"Content-Type: {content_type}", "Cache-Control: no-cache",
             "request-id: req_fake_bench0000000"]
    lines += [f"{k}: {v}" for k, v in ratelimit.items()]
    lines.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


_EVENTS = list(stream_events(message("claude-opus-5-5", [{"type": "text", "text": "Hi from the fake upstream!"}],
                                     "end_turn")))
_START = _EVENTS[0]
_HEAD = _head()
FIRST = _HEAD + _chunk(_START)                                   # headers + message_start
REST = b"".join(_chunk(e) for e in _EVENTS[1:]) + b"0\r\n\r\n"   # the rest, and the last chunk

def _canned(events, ratelimit):
    """(headers + first event, the rest + last chunk) of a stream in another provider's format."""
    return (_head(ratelimit=ratelimit) + _chunk(events[0]),
            b"".join(_chunk(e) for e in events[1:]) + b"0\r\n\r\n")


_CODEX_BODY = {"model": "gpt-5-codex", "stream": True, "input": "say hi"}
OPENAI = _canned(list(fake_wire.responses_events(_CODEX_BODY)), fake_wire.CODEX_HEADERS)
GEMINI = _canned(list(fake_wire.gemini_events({}, "gemini-2.5-pro")), fake_wire.GEMINI_HEADERS)
CODE_ASSIST = _canned(list(fake_wire.code_assist_events({"model": "gemini-2.5-pro", "request": {}})),
                      fake_wire.GEMINI_HEADERS)
_BLOCK_START = _chunk(sse("content_block_start", {"type": "content_block_start", "index": 0,
                                                  "content_block": {"type": "text", "text": ""}}))
_TAIL = b"".join(_chunk(e) for e in _EVENTS[-3:]) + b"0\r\n\r\n"  # content_block_stop, message_delta, stop


def _delta(text):
    return _chunk(sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                              "delta": {"type": "text_delta", "text": text}}))


def _read_request(sock, buf):
    """(method, path, headers, rest of buffer) or None at EOF; the body is read and dropped."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(262144)
        if not data:
            return None
        buf += data
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    method, path, _ = lines[0].split(b" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get(b"content-length", b"0"))
    while len(buf) < length:
        data = sock.recv(262144)
        if not data:
            return None
        buf += data
    return method, path, headers, buf[length:]


def handle(sock, _addr):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    try:
        while True:
            request = _read_request(sock, buf)
            if request is None:
                return
            method, path, headers, buf = request
            scenario = headers.get(b"x-fake-scenario", b"").decode()
            if path.startswith(b"/_stats"):
                body = json.dumps(_STATS).encode()
                sock.sendall(_head("application/json", len(body)) + body)
            elif path.startswith(b"/_reset"):
                _STATS.update(active=0, peak=0, completed=0)
                sock.sendall(_head("application/json", 2) + b"{}")
            elif scenario.startswith("spaced-"):
                _, ms, count, *t0 = scenario.split("-")
                gap = int(ms) * 1_000_000
                due = int(t0[0]) if t0 else time.monotonic_ns() + gap
                sock.sendall(FIRST + _BLOCK_START)
                for i in range(int(count)):
                    gevent.sleep(max(0, due + i * gap - time.monotonic_ns()) / 1e9)
                    sock.sendall(_delta("t%d" % time.monotonic_ns()))
                sock.sendall(_TAIL)
            elif scenario.startswith("hold-"):
                _hold(sock, int(scenario.split("-")[1]))
            else:
                first, rest = OPENAI if path.startswith((b"/v1/responses", b"/backend-api/codex/responses")) else \
                    GEMINI if path.startswith(b"/v1beta/") else \
                    CODE_ASSIST if path.startswith(b"/v1internal:") else (FIRST, REST)
                sock.sendall(first)
                sock.sendall(rest)
    except OSError:
        return
    finally:
        sock.close()


def _hold(sock, seconds):
    _STATS["active"] += 1
    _STATS["peak"] = max(_STATS["peak"], _STATS["active"])
    try:
        sock.sendall(FIRST + _BLOCK_START)
        for i in range(seconds):
            gevent.sleep(1.0)
            sock.sendall(_delta(f"tick {i} "))
        sock.sendall(_TAIL)
        _STATS["completed"] += 1
    finally:
        _STATS["active"] -= 1


def main(port=0):
    server = StreamServer(("127.0.0.1", port), handle, backlog=4096)
    server.init_socket()
    print(f"listening http://127.0.0.1:{server.socket.getsockname()[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
