"""A fake Anthropic, OpenAI and Gemini API on 127.0.0.1 that speaks the real wire formats (see
../shared/REAL-CLIENTS.md §2): SSE streams of message_start / content_block_* / message_delta /
message_stop, JSON messages, count_tokens, errors with rate-limit headers; OpenAI Responses and
Chat Completions at /v1/responses and /v1/chat/completions and Gemini at /v1beta/models/<m>:<method>
(bodies built by tests/fake_wire.py, with Codex's x-codex-* rate-limit headers); the ChatGPT backend
Codex uses with a ChatGPT login at /backend-api/... (codex/responses as Responses SSE, wham/usage
with the plan's windows, {} for the rest) and Gemini Code Assist at /v1internal:<method>
(loadCodeAssist, onboardUser, retrieveUserQuota buckets, listExperiments, and generateContent /
streamGenerateContent answers wrapped as {"response": ..., "traceId": ...}).

Every request is kept in `server.requests` (method, path, headers, raw body bytes) so tests can
check what reached upstream. A request picks its behaviour with the `x-fake-scenario` header:
  (none)            text, or tool_use when the request offers a Bash tool and has no tool_result yet
  error-429 / error-529 / error-500   that status with headers and an error body
  close-mid-stream  message_start and one delta, then the connection is dropped mid-body
  spaced-<ms>       ten text deltas <ms> apart (stream)
  hang              message_start, then silence until the client goes away (`disconnects` records it)
  gzip              the body gzip-encoded
  big-<n>           a text block of n characters
  huge-event-<mb>    one content_block_delta event of <mb> MB of text, sent in 64 KB chunks
  bomb-<mb>         a gzip-encoded stream that expands to <mb> MB (the compressed bytes: `server.bomb`)
A request sets the usage its answer reports with `x-fake-usage: {"cache_read_input_tokens": 0, ...}`
(a JSON object whose keys replace those of the default usage; cache tests build exact figures); on
the OpenAI and Gemini mounts (Code Assist too) its keys replace those of the Responses usage or of
usageMetadata (tests/fake_wire.py).
A request sets the quota utilization its answer reports with `x-fake-utilization: 5h=0.8,7d=0.3`
(fractions, as the real headers send them); without it 5h is 0.12 and 7d 0.34.
  reset-before-headers / reset-after-headers / reset-mid-event
                    the connection is reset (TCP RST) before any byte, after the stream's headers,
                    or in the middle of the second event
  stall-<ms>        message_start, then <ms> of silence, then the rest (read-timeout tests)
  stall-headers-<ms> <ms> of silence before the status line
  raw               streams the request's "raw_chunks" (base64 strings) as they are, one chunk
                    each, as text/event-stream (fuzzing what relay relays); with "raw_gzip": true
                    labelled Content-Encoding: gzip (the chunks are then the test's gzip stream)
  flood-<n>         about n bytes of ping events after message_start, then the rest; the bytes
                    actually written are counted in `server.sent` (backpressure tests)
Like the real API, a Messages request that breaks tool_use/tool_result pairing, has an empty
message or an unsigned thinking block is refused with 400 invalid_request_error.
Usage in every answer: input 12, cache write 1500 (5m 500, 1h 1000), cache read 3000, output 7;
unless `server.measure` is set: then the prompt's tokens and cache are measured (measured_usage()).
Run it alone with `python -m tests.fake_upstream PORT` (used by bench/ and manual runs).
"""
import base64
import gzip
import hashlib
import json
import socket
import struct
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from requests.structures import CaseInsensitiveDict

from relay.proxy.stages.prune.edits import block_tokens
from relay.sessions.composition import estimate_tokens
from tests import fake_wire

USAGE_START = {"input_tokens": 12, "cache_creation_input_tokens": 1500, "cache_read_input_tokens": 3000,
               "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 1000},
               "output_tokens": 1, "service_tier": "standard"}
OUTPUT_TOKENS = 7
RESET_EPOCH = 1795370000
RATELIMIT_HEADERS = {
    "anthropic-ratelimit-unified-status": "allowed",
    "anthropic-ratelimit-unified-reset": str(RESET_EPOCH),
    "anthropic-ratelimit-unified-representative-claim": "five_hour",
    "anthropic-ratelimit-unified-fallback-percentage": "0.5",
    "anthropic-ratelimit-unified-5h-status": "allowed",
    "anthropic-ratelimit-unified-5h-utilization": "0.12",
    "anthropic-ratelimit-unified-5h-reset": str(RESET_EPOCH),
    "anthropic-ratelimit-unified-7d-status": "allowed",
    "anthropic-ratelimit-unified-7d-utilization": "0.34",
    "anthropic-ratelimit-unified-7d-reset": str(RESET_EPOCH + 86400),
    "anthropic-ratelimit-requests-limit": "4000",
    "anthropic-ratelimit-requests-remaining": "3999",
    "anthropic-ratelimit-requests-reset": "2026-11-23T12:00:00Z",
}
TEXT = "Hi from the fake upstream!"
TOOL_INPUT = '{"command":"echo hello-from-tool"}'


def _wants_tool(body):
    tools = [t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)]
    if "Bash" not in tools:
        return False
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            return False
    return True


def invalid_reason(body):
    """Why the real Messages API would reject this body with a 400, or None. Written apart from
    relay's own validator on purpose: a proxy checked by its own rules proves nothing."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    turns = [(i, m) for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") != "system"]
    for n, (i, m) in enumerate(turns):
        if m.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        content = m.get("content")
        if content in ("", [], None):
            return f"messages.{i}: all messages must have non-empty content"
        blocks = content if isinstance(content, list) else []
        uses = [b.get("id") for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"]
        if m["role"] == "assistant" and uses:
            following = turns[n + 1][1].get("content") if n + 1 < len(turns) else None
            answered = {b.get("tool_use_id") for b in following or [] if isinstance(b, dict)
                        and b.get("type") == "tool_result"}
            missing = [u for u in uses if u not in answered]
            if missing and n + 1 < len(turns):
                return (f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                        f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` "
                        f"block in the next message.")
        results = [b.get("tool_use_id") for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
        if results:
            previous = turns[n - 1][1].get("content") if n else None
            offered = {b.get("id") for b in previous or [] if isinstance(b, dict) and b.get("type") == "tool_use"}
            stray = [r for r in results if r not in offered]
            if stray:
                return (f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` blocks: {stray[0]}. "
                        f"Each `tool_result` block must have a corresponding `tool_use` block in the previous message.")
        for b in blocks:
            if isinstance(b, dict) and b.get("type") == "thinking" and not b.get("signature"):
                return f"messages.{i}.content: thinking blocks must carry their signature"
    return None


def _unit_tokens(body):
    """(hashable form without cache_control, tokens, has a breakpoint) per unit of the prompt, in
    cache order: each tool, system block and message content block. The measuring server's
    tokenizer is relay's documented estimate (ceil(chars / 4) per block, images by their pixels),
    so that savings relay reports can be compared exactly; what is cached is decided here."""
    def bare(value):
        if isinstance(value, dict):
            return {k: bare(v) for k, v in value.items() if k != "cache_control"}
        return [bare(v) for v in value] if isinstance(value, list) else value

    def marked(block):
        if not isinstance(block, dict):
            return False
        inner = block.get("content") if block.get("type") == "tool_result" else None
        return bool(block.get("cache_control")) or (isinstance(inner, list) and any(
            isinstance(b, dict) and b.get("cache_control") for b in inner))

    units = [(json.dumps(bare(t), sort_keys=True), estimate_tokens(len(json.dumps(t, ensure_ascii=False))), marked(t))
             for t in body.get("tools") or []]
    system = body.get("system")
    for b in system if isinstance(system, list) else [system] if isinstance(system, str) else []:
        units.append((json.dumps(bare(b), sort_keys=True), block_tokens(b), marked(b)))
    for m in body.get("messages") or []:
        content = m.get("content")
        for b in content if isinstance(content, list) else [content]:
            units.append((json.dumps([m.get("role"), bare(b)], sort_keys=True), block_tokens(b) if b is not None else 0,
                          marked(b)))
    return units


def measured_usage(cache, body):
    """Usage as Anthropic bills it: the longest prefix identical (breakpoints aside) to a prefix
    an earlier request cached is read, the rest up to the last breakpoint is written (5m), the
    rest is input; then every prefix ending at a breakpoint of this request is cached. `cache`:
    prefix hash -> True, shared by the server's requests; no expiry."""
    units = _unit_tokens(body)
    chain = hashlib.sha256(str(body.get("model")).encode())
    ends, total, read, last_bp = [], 0, 0, -1
    for k, (form, tokens, mark) in enumerate(units):
        chain.update(form.encode("utf-8", "surrogatepass"))
        total += tokens
        ends.append((chain.hexdigest(), total))
        last_bp = k if mark else last_bp
    for k in range(last_bp + 1):
        if ends[k][0] in cache:
            read = ends[k][1]
    for k, (_, _, mark) in enumerate(units):
        if mark:
            cache[ends[k][0]] = True
    cached = ends[last_bp][1] if last_bp >= 0 else 0
    return {"input_tokens": total - cached, "cache_read_input_tokens": read,
            "cache_creation_input_tokens": cached - read,
            "cache_creation": {"ephemeral_5m_input_tokens": cached - read, "ephemeral_1h_input_tokens": 0}}


def message(model, blocks, stop_reason, usage_start=None):
    usage = dict(usage_start or USAGE_START, output_tokens=OUTPUT_TOKENS)
    return {"id": "msg_fake_" + uuid.uuid4().hex[:16], "type": "message", "role": "assistant", "model": model,
            "content": blocks, "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}


def sse(event, data):
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def stream_events(msg):
    """The event sequence of one message, as the real API sends it."""
    start = dict(msg, content=[], stop_reason=None, usage=dict(msg["usage"], output_tokens=1))
    yield sse("message_start", {"type": "message_start", "message": start})
    yield sse("ping", {"type": "ping"})
    for index, block in enumerate(msg["content"]):
        if block["type"] == "text":
            yield sse("content_block_start", {"type": "content_block_start", "index": index,
                                              "content_block": {"type": "text", "text": ""}})
            text = block["text"]
            for i in range(0, len(text), 8):
                yield sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                  "delta": {"type": "text_delta", "text": text[i:i + 8]}})
        else:
            yield sse("content_block_start", {"type": "content_block_start", "index": index, "content_block":
                                              {"type": "tool_use", "id": block["id"], "name": block["name"],
                                               "input": {}}})
            for i in range(0, len(TOOL_INPUT), 10):
                yield sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta":
                                                  {"type": "input_json_delta", "partial_json": TOOL_INPUT[i:i + 10]}})
        yield sse("content_block_stop", {"type": "content_block_stop", "index": index})
    yield sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": msg["stop_reason"],
                                                                   "stop_sequence": None},
                                "usage": {"output_tokens": OUTPUT_TOKENS}})
    yield sse("message_stop", {"type": "message_stop"})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    # --- plumbing ----------------------------------------------------------------------
    def _record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        entry = {"method": self.command, "path": self.path, "headers": CaseInsensitiveDict(self.headers.items()),
                 "body": body, "t": time.time()}
        with self.server.lock:
            self.server.requests.append(entry)
        return body

    def _send(self, status, payload, headers=(), content_type="application/json", encode_gzip=False,
              ratelimit=RATELIMIT_HEADERS):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        if encode_gzip:
            data = gzip.compress(data)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("request-id", "req_fake_" + uuid.uuid4().hex[:12])
        for name, value in dict(self._ratelimit(ratelimit), **dict(headers)).items():
            self.send_header(name, value)
        if encode_gzip:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _ratelimit(self, base=RATELIMIT_HEADERS):
        """`base` with the utilizations a test asked for in x-fake-utilization ("5h=0.9,7d=0.2")."""
        headers = dict(base)
        for part in (self.headers.get("x-fake-utilization") or "").split(","):
            window, _, value = part.strip().partition("=")
            if value:
                headers[f"anthropic-ratelimit-unified-{window}-utilization"] = value
        return headers

    def _start_stream(self, encode_gzip=False, ratelimit=RATELIMIT_HEADERS):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("request-id", "req_fake_" + uuid.uuid4().hex[:12])
        for name, value in self._ratelimit(ratelimit).items():
            self.send_header(name, value)
        if encode_gzip:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # --- methods -----------------------------------------------------------------------
    def do_HEAD(self):
        self._record()
        self._send(200, b"", content_type="text/plain")

    def do_GET(self):
        self._record()
        if self.path.startswith("/backend-api/"):
            self._send(*fake_wire.chatgpt_answer("GET", self.path), ratelimit={})
            return
        # The model list in OpenAI's shape for OpenAI clients (a bearer token, no anthropic-version).
        openai_client = "authorization" in self.headers and "anthropic-version" not in self.headers
        if self.path.startswith("/v1/models") and openai_client:
            self._send(200, fake_wire.openai_models(), ratelimit=fake_wire.CODEX_HEADERS)
        elif self.path.startswith("/v1/models"):
            self._send(200, {"data": [{"id": "claude-opus-5-5", "type": "model"}], "has_more": False})
        elif self.path.startswith("/v1beta/models"):
            self._send(200, {"models": [{"name": "models/gemini-2.5-pro"}]}, ratelimit=fake_wire.GEMINI_HEADERS)
        else:
            self._send(404, {"type": "error", "error": {"type": "not_found_error", "message": "Not found"}})

    def do_POST(self):
        raw = self._record()
        scenario = self.headers.get("x-fake-scenario", "")
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                        "message": "There was an issue with the JSON body"}})
            return
        if scenario == "raw":   # on every mount: the bytes a test chose, as they are
            self._start_stream(encode_gzip=bool(body.get("raw_gzip")))
            for piece in body.get("raw_chunks") or []:
                if piece:
                    self._chunk(base64.b64decode(piece))
            self._end_chunks()
            return
        if self.path.startswith(("/v1/responses", "/v1/chat/completions")):
            self._openai(body, scenario)
            return
        if self.path.startswith("/v1beta/"):
            self._gemini(body, scenario)
            return
        if self.path.startswith("/backend-api/"):
            self._chatgpt(body, scenario)
            return
        if self.path.startswith("/v1internal"):
            self._code_assist(body, scenario)
            return
        problem = invalid_reason(body) if isinstance(body, dict) and "messages" in body else None
        if problem:
            self._send(400, {"type": "error", "error": {"type": "invalid_request_error", "message": problem}})
            return
        if self.path.startswith("/v1/messages/count_tokens"):
            self._send(200, {"input_tokens": 42})
            return
        if scenario.startswith("error-"):
            status = int(scenario.split("-")[1])
            kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
            headers = {"retry-after": "17", "anthropic-ratelimit-unified-status": "rejected"}
            self._send(status, {"type": "error", "error": {"type": kind, "message": f"fake {status}"}}, headers)
            return
        if scenario.startswith("stall-headers-"):
            time.sleep(int(scenario.rsplit("-", 1)[1]) / 1000)
        if scenario == "reset-before-headers":
            self._reset()
            return
        msg = self._answer(body, scenario)
        if body.get("stream"):
            self._stream(msg, scenario)
        else:
            self._send(200, msg, encode_gzip=scenario == "gzip")

    def _answer(self, body, scenario):
        model = body.get("model") or "claude-opus-5-5"
        usage = dict(USAGE_START, **json.loads(self.headers.get("x-fake-usage") or "{}"))
        if self.server.measure:
            with self.server.lock:
                usage.update(measured_usage(self.server.cache, body))
                self.server.usages.append(usage)
        if scenario.startswith("big-"):
            return message(model, [{"type": "text", "text": "x" * int(scenario[4:])}], "end_turn", usage)
        if _wants_tool(body):
            blocks = [{"type": "text", "text": "Running it."},
                      {"type": "tool_use", "id": "toolu_fake_" + uuid.uuid4().hex[:12], "name": "Bash",
                       "input": json.loads(TOOL_INPUT)}]
            return message(model, blocks, "tool_use", usage)
        return message(model, [{"type": "text", "text": TEXT}], "end_turn", usage)

    def _stream(self, msg, scenario):
        events = list(stream_events(msg))
        self._start_stream(encode_gzip=scenario == "gzip" or scenario.startswith("bomb-"))
        if scenario.startswith("bomb-"):
            self._bomb(events, int(scenario.split("-")[1]))
        elif scenario.startswith("huge-event-"):
            self._big_event(events, int(scenario.split("-")[2]))
        elif scenario == "gzip":
            self._chunk(gzip.compress(b"".join(events)))
            self._end_chunks()
        elif scenario == "close-mid-stream":
            self._chunk(events[0])
            self._chunk(events[2])
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif scenario == "reset-after-headers":
            self._reset()
        elif scenario == "reset-mid-event":
            self._chunk(events[0])
            self._chunk(events[2][:len(events[2]) // 2])
            self._reset()
        elif scenario.startswith("stall-") and not scenario.startswith("stall-headers-"):
            self._chunk(events[0])
            time.sleep(int(scenario.split("-")[1]) / 1000)
            for event in events[1:]:
                self._chunk(event)
            self._end_chunks()
        elif scenario.startswith("flood-"):
            self._flood(events, int(scenario.split("-")[1]))
        elif scenario == "hang":
            self._chunk(events[0])
            self._wait_for_disconnect()
        elif scenario.startswith("spaced-"):
            gap = int(scenario.split("-")[1]) / 1000
            for event in events:
                self._chunk(event)
                time.sleep(gap)
            self._end_chunks()
        else:
            for event in events:
                self._chunk(event)
            self._end_chunks()

    # --- OpenAI and Gemini (bodies from tests/fake_wire.py) -------------------------------------
    def _usage(self, default):
        """The default usage with the keys of the request's x-fake-usage, if any."""
        override = self.headers.get("x-fake-usage")
        return dict(default, **json.loads(override)) if override else None

    def _openai(self, body, scenario):
        headers = fake_wire.CODEX_HEADERS
        usage = self._usage(fake_wire.OPENAI_USAGE)
        if scenario.startswith("error-"):
            status = int(scenario.split("-")[1])
            self._send(status, fake_wire.openai_error(status), {"retry-after": "17"}, ratelimit=headers)
        elif self.path.startswith("/v1/responses"):
            if body.get("stream"):
                self._events(fake_wire.responses_events(body, usage), scenario, headers)
            else:
                self._send(200, fake_wire.responses_json(body, usage), ratelimit=headers)
        elif body.get("stream"):
            self._events(fake_wire.chat_events(body), scenario, headers)
        else:
            self._send(200, fake_wire.chat_json(body), ratelimit=headers)

    def _gemini(self, body, scenario):
        headers = fake_wire.GEMINI_HEADERS
        usage = self._usage(fake_wire.GEMINI_USAGE)
        target, _, _ = self.path.partition("?")
        model, _, method = target.rsplit("/", 1)[-1].partition(":")
        if scenario.startswith("error-"):
            status = int(scenario.split("-")[1])
            self._send(status, fake_wire.gemini_error(status), ratelimit=headers)
        elif method == "countTokens":
            self._send(200, {"totalTokens": 42}, ratelimit=headers)
        elif method == "streamGenerateContent" and "alt=sse" in self.path:
            self._events(fake_wire.gemini_events(body, model, usage), scenario, headers)
        elif method == "streamGenerateContent":
            self._send(200, [fake_wire.gemini_json(body, model, usage)], ratelimit=headers)
        elif method == "generateContent":
            self._send(200, fake_wire.gemini_json(body, model, usage), ratelimit=headers)
        else:
            self._send(404, fake_wire.gemini_error(404), ratelimit=headers)

    def _chatgpt(self, body, scenario):
        """The ChatGPT backend: codex/responses is the Responses API with the plan's x-codex-*
        windows; anything else answers its JSON."""
        headers = fake_wire.CODEX_HEADERS
        if not self.path.startswith("/backend-api/codex/responses"):
            self._send(*fake_wire.chatgpt_answer("POST", self.path), ratelimit={})
        elif scenario.startswith("error-"):
            status = int(scenario.split("-")[1])
            self._send(status, fake_wire.openai_error(status), {"retry-after": "17"}, ratelimit=headers)
        elif isinstance(body, dict) and body.get("stream"):
            self._events(fake_wire.responses_events(body, self._usage(fake_wire.OPENAI_USAGE)), scenario, headers)
        else:
            self._send(200, fake_wire.responses_json(body, self._usage(fake_wire.OPENAI_USAGE)), ratelimit=headers)

    def _code_assist(self, body, scenario):
        headers = fake_wire.GEMINI_HEADERS
        usage = self._usage(fake_wire.GEMINI_USAGE)
        method = self.path.split("?")[0].rpartition(":")[2]
        if scenario.startswith("error-"):
            status = int(scenario.split("-")[1])
            self._send(status, fake_wire.gemini_error(status), ratelimit=headers)
        elif method == "streamGenerateContent":
            self._events(fake_wire.code_assist_events(body, usage), scenario, headers)
        elif method == "generateContent":
            self._send(200, fake_wire.code_assist_json(body, usage), ratelimit=headers)
        else:
            self._send(*fake_wire.code_assist_answer(method, body), ratelimit=headers)

    def _events(self, events, scenario, headers):
        events = list(events)
        self._start_stream(ratelimit=headers)
        if scenario == "close-mid-stream":
            self._chunk(events[0])
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        for event in events:
            self._chunk(event)
        self._end_chunks()
    def _reset(self):
        """Drop the connection with a TCP RST (SO_LINGER 0), as a crashing peer or a middlebox does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()   # the fd closes (with RST) once the handler's files are closed
        self.close_connection = True

    def _bomb(self, events, megabytes):
        """A gzip stream that expands to `megabytes` MB (SSE comment lines between message_start
        and the rest) from about 1/1000 of that; every compressed byte is kept in `server.bomb`."""
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        sent = []

        def put(data):
            if data:
                sent.append(data)
                self._chunk(data)

        put(packer.compress(events[0]))
        line = b":" + b"a" * 65534 + b"\n"
        for _ in range(megabytes * 16):
            put(packer.compress(line))
        put(packer.compress(b"".join(events[1:])) + packer.flush())
        self.server.bomb = b"".join(sent)   # before the end: the client may compare right after it
        self._end_chunks()

    def _big_event(self, events, megabytes):
        """A content_block_delta of `megabytes` MB of text, sent in 64 KB chunks, among the usual events."""
        big = sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                          "delta": {"type": "text_delta", "text": "x" * (megabytes << 20)}})
        self._chunk(events[0])
        for at in range(0, len(big), 65536):
            self._chunk(big[at:at + 65536])
        for event in events[1:]:
            self._chunk(event)
        self._end_chunks()

    def _flood(self, events, total):
        self._chunk(events[0])
        ping = sse("ping", {"type": "ping"}) * 512
        written = 0
        try:
            while written < total:
                self._chunk(ping)
                written += len(ping)
                with self.server.lock:
                    self.server.sent += len(ping)
            for event in events[1:]:
                self._chunk(event)
            self._end_chunks()
        except OSError:
            self.close_connection = True

    def _wait_for_disconnect(self):
        self.connection.settimeout(30)
        try:
            while self.connection.recv(1024):
                pass
        except OSError:
            pass
        with self.server.lock:
            self.server.disconnects.append(time.time())
        self.close_connection = True


class FakeUpstream(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port=0):
        super().__init__(("127.0.0.1", port), Handler)
        self.requests = []
        self.disconnects = []
        self.sent = 0   # flood bytes written so far
        self.bomb = b""   # the compressed bytes of the last bomb-<mb> answer
        self.lock = threading.Lock()
        self.thread = None
        # measure=True: Messages usage counts the tokens received and the cache as measured_usage()
        # decides (its prefixes in `cache`), each answer's usage appended to `usages`
        self.measure = False
        self.cache: dict[str, bool] = {}
        self.usages: list[dict] = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self):
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


if __name__ == "__main__":
    server = FakeUpstream(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"listening {server.url}", flush=True)
    server.serve_forever()
