"""Drives one exchange: read the client request, run request stages, send upstream, relay the
response back chunk by chunk, and record what happened on the side.

It is a plain WSGI callable, not a Flask view: nothing may stand between upstream's bytes and the
client (no default headers, no re-chunking, no decoding). Contracts:
- the client receives upstream's status, headers (minus hop-by-hop) and every body byte, each
  chunk written as soon as it arrives; when upstream's body is cut short, the client's is cut at
  the same byte (the connection is dropped, no final chunk is invented);
- recording never blocks the stream: the row is queued at the start and again at the end, and
  everything parsed from the body is parsed after the chunk has been handed to the server;
- secrets never leave this module: only the rate-limit headers and the user agent are recorded,
  and every stored text (path, user agent, session id, upstream's error and headers) has what looks
  like a credential masked (relay.proxy.redact).
One handler serves one mount of relay.proxy.mounts: its provider module reads the traffic, its
upstream receives the path with the mount prefix stripped.
"""
import logging
import time
import uuid
from urllib.parse import quote

import requests
import urllib3

from relay import clients
from relay.models import Exchange
from relay.proxy import concurrency
from relay.proxy.redact import mask, redact_target
from relay.proxy.side_decode import SideDecoder, SideLimit
from relay.proxy.upstream import HOP_BY_HOP
from relay.store.writes import record_exchange_finish, record_exchange_start, record_prune_edits

log = logging.getLogger(__name__)
# Upstream answers slower than this (any real one) overlap the start record with their wait.
BEGIN_DELAY = 0.001
CHUNK_EVENT_EVERY = 0.25   # seconds between "exchange/chunk" progress events of one stream
SIDE_LIMIT = 256 * 1024 * 1024   # the setting side_decode_limit_mb's default


class UpstreamTruncated(Exception):
    """Raised after the last byte upstream sent, so the server drops the client connection
    instead of ending the body cleanly; servers treat it as a quiet close."""


def _request_headers(environ):
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").title(), value))
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers.append((name, environ[key]))
    return headers


def _request_target(environ):
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        return raw
    target = quote(environ.get("PATH_INFO", ""), safe="/:@!$&'()*+,;=-._~")
    if environ.get("QUERY_STRING"):
        target += "?" + environ["QUERY_STRING"]
    return target


def _scrub(exchange):
    """Mask credential-shaped text in what is stored of an exchange: a key can come back from
    upstream (an error quoting it) or ride in a header value relay keeps."""
    for name in ("client", "session_id", "model", "error", "request_id", "message_id", "stop_reason"):
        setattr(exchange, name, mask(getattr(exchange, name)))
    if exchange.ratelimit:
        exchange.ratelimit = {k: mask(v) for k, v in exchange.ratelimit.items()}


def _read_body(environ):
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return stream.read()
    return b""


def _safe_error(exc):
    """An upstream failure as one line, without URLs (a query string may carry a key)."""
    text = f"{type(exc).__name__}"
    reason = getattr(exc, "args", None)
    if isinstance(exc, requests.ConnectionError):
        text = "cannot connect to upstream"
    elif isinstance(exc, requests.Timeout):
        text = "upstream timed out"
    elif reason:
        text += f": {str(reason[0]).split('?')[0][:200]}"
    return text


class ProxyHandler:
    def __init__(self, provider, upstream, store, bus, pipeline, route=None, guard=None, side_limit=SIDE_LIMIT,
                 journal=None):
        self.provider = provider
        self.journal = journal   # relay.store.journal.Journal: each finish, before the client's last byte
        self.side_limit = side_limit   # bytes of decoded copy relay reads at most per response
        self.route = route
        self.guard = guard   # relay.guard.Guard: told of each finished exchange, after its last byte
        self.upstream = upstream
        self.store = store
        self.bus = bus
        self.pipeline = pipeline
        # Exchanges not yet finished: shutdown waits for none to be left, and then marks only this
        # process's open rows (another relay may share the DB).
        self.open_ids = set()

    @property
    def in_flight(self):
        return len(self.open_ids)

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            return self._refuse_websocket(environ, start_response)
        exchange_id = uuid.uuid4().hex
        self.open_ids.add(exchange_id)
        headers = _request_headers(environ)
        header_map = {name.lower(): value for name, value in headers}
        body = _read_body(environ)
        target = _request_target(environ)
        if self.route is not None:
            target = self.route.upstream_target(target)
        exchange = Exchange(id=exchange_id, ts=time.time(), provider=self.provider.PROVIDER,
                            method=environ["REQUEST_METHOD"], path=redact_target(target),
                            client=header_map.get("user-agent"), request_bytes=len(body))
        exchange.person = environ.get("relay.person")   # set by the dispatcher when access tokens are on
        exchange.cli = clients.from_user_agent(exchange.client) or (self.route.cli if self.route else None)
        # Parsing a large body costs from a few hundred microseconds to milliseconds: it runs
        # while upstream thinks (after BEGIN_DELAY), or, when upstream answers sooner, right after
        # the first chunk has been handed to the client. Either way before the exchange ends.
        # Request stages do not need its result (model, session id), so they do not wait for it.
        begun = concurrency.defer(BEGIN_DELAY, self._begin, exchange, body, header_map)
        if self.pipeline.has("request"):
            body = self.pipeline.request(exchange, body)
        if self.pipeline.captures:
            # Only a reference: the capturing stage reads these bytes later, in the store's writer.
            exchange.sent_body = body
        # Watched from before the request goes up: a client that leaves while upstream thinks is
        # noticed then, not at the first write of an answer nobody reads.
        held: list = []
        watcher = concurrency.watch_client(environ.get("relay.socket"),
                                           lambda: held and self.upstream.abort(held[0]))
        try:
            response = self.upstream.send(exchange.method, target, headers, body)
        except requests.RequestException as exc:
            concurrency.stop(watcher)
            self._settle(begun, exchange)
            return self._unreachable(exchange, exc, started, start_response)
        except BaseException:
            concurrency.stop(watcher)
            self.open_ids.discard(exchange.id)
            self._settle(begun, exchange)
            raise
        held.append(response)
        exchange.status = response.status_code
        out_headers = [(k, v) for k, v in response.raw.headers.items()
                       if k.lower() not in HOP_BY_HOP or k.lower() == "content-length"]
        start_response(f"{response.status_code} {response.reason or ''}".rstrip(), out_headers)
        return self._relay(exchange, response, started, watcher, begun)

    @staticmethod
    def _settle(begun, exchange):
        """Make sure the start record was made; a failure there never reaches the client."""
        try:
            concurrency.settle(begun)
        except Exception:
            log.exception("recording the start of exchange %s failed", exchange.id)
        return None

    def _begin(self, exchange, body, header_map):
        model, stream, session_id = self.provider.request_meta(body, header_map, exchange.path)
        exchange.model, exchange.stream, exchange.session_id = model, stream, session_id
        _scrub(exchange)
        self.store.submit(record_exchange_start(exchange))
        self.bus.publish("exchange/start", exchange.to_dict())

    def _relay(self, exchange, response, started, watcher, begun=None):
        reader = self.provider.ResponseReader(response.headers.get("content-type"), keep_content=self.pipeline.captures)
        decode = SideDecoder.for_coding(response.headers.get("content-encoding"), self.side_limit)
        expected = response.headers.get("content-length")
        length = int(expected) if expected and expected.isdigit() and exchange.method != "HEAD" else None
        sent, outcome, error, note, reading, finished = 0, None, None, None, True, False
        try:
            chunks = self.upstream.iter_raw(response)
            if watcher is not None and watcher.client_gone:   # left while upstream was thinking
                outcome, error, chunks = "client_closed", "client disconnected", ()
            for chunk in chunks:
                if exchange.ttfb_ms is None:
                    exchange.ttfb_ms = (time.perf_counter() - started) * 1000
                # A body of known length is complete for the client with its last chunk: the
                # exchange is read and recorded (journal first) before that chunk goes out. A
                # chunked body ends with the server's final chunk, after the finally below.
                last = length is not None and sent + len(chunk) >= length
                if not last:
                    yield chunk
                sent += len(chunk)
                if self.bus.subscribers:   # progress for live pages; nothing to do when none is open
                    self.bus.publish_throttled("exchange/chunk", exchange.id,
                                               lambda sent=sent: {**exchange.to_dict(), "response_bytes": sent},
                                               interval=CHUNK_EVENT_EVERY)
                if begun is not None:
                    begun = self._settle(begun, exchange)
                if decode is None:
                    reader = self._read(exchange, reader, chunk)
                elif reading:
                    try:
                        for piece in decode.feed(chunk):
                            reader = self._read(exchange, reader, piece)
                    except SideLimit as exc:   # the bytes go on to the client; only the reading stops
                        reading, reader, note = False, None, str(exc)
                    except Exception:
                        reading, reader = False, None
                if last:
                    finished = self._end(exchange, response, reader, started, sent, watcher, None, note)
                    yield chunk
                    break
            if outcome is None and length is not None and sent < length:
                outcome, error = "upstream_closed", f"upstream sent {sent} of {expected} bytes"
        except GeneratorExit:
            outcome, error = "client_closed", "client disconnected"
            raise
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            if watcher is not None and watcher.client_gone:
                outcome, error = "client_closed", "client disconnected"
            else:
                outcome, error = "upstream_closed", _safe_error(exc)
        finally:
            if begun is not None:
                self._settle(begun, exchange)
            if not finished:
                self._end(exchange, response, reader, started, sent, watcher, outcome, error or note)
        if outcome == "upstream_closed":
            raise UpstreamTruncated(error)

    def _end(self, exchange, response, reader, started, sent, watcher, outcome, error):
        concurrency.stop(watcher)
        response.close()
        exchange.response_bytes = sent
        self._finish(exchange, response, reader, started, outcome, error)
        return True

    def _read(self, exchange, reader, data):
        """Hand decoded bytes to the reader and the stages; the reader, or None once it failed."""
        if reader is not None:
            try:
                reader.feed(data)
            except Exception:   # reading on the side must never cut the client's stream
                log.exception("reading the response of exchange %s failed; not counted", exchange.id)
                reader = None
        self.pipeline.response_chunk(exchange, data)
        return reader

    def _finish(self, exchange, response, reader, started, outcome, error):
        self.open_ids.discard(exchange.id)
        exchange.duration_ms = (time.perf_counter() - started) * 1000
        exchange.request_id = response.headers.get("request-id") or response.headers.get("x-request-id")
        exchange.ratelimit = self.provider.ratelimit_headers(response.headers)
        if reader is not None:
            reader.finish()
            if reader.quota:   # quota an answer's body reported (a plan's usage endpoint)
                exchange.ratelimit = {**exchange.ratelimit, **reader.quota}
            exchange.usage = reader.usage
            exchange.stop_reason = reader.stop_reason
            exchange.message_id = reader.message_id
            exchange.model = exchange.model or reader.model
            if reader.content_parts is not None:
                exchange.content_parts = reader.content_parts
            if reader.is_sse and outcome is None and not reader.completed and exchange.status == 200 \
                    and exchange.method != "HEAD":
                outcome, error = "upstream_closed", "stream ended before its final event"
            error = error or reader.error
        if outcome is None:
            outcome = "ok" if exchange.status and exchange.status < 400 else "upstream_error"
        exchange.outcome, exchange.error = outcome, error
        self._record_finish(exchange)
        self.pipeline.response(exchange)

    def _record_finish(self, exchange):
        _scrub(exchange)
        if self.journal is not None:
            self.journal.append(exchange)
        self.store.submit(record_exchange_finish(exchange))
        if exchange.changes:
            self.store.submit(record_prune_edits(exchange, exchange.changes))
        self.bus.forget(exchange.id)
        self.bus.publish("exchange/finish", exchange.to_dict())
        if self.guard is not None:
            try:
                self.guard.observe(exchange)
            except Exception:
                log.exception("guard failed on exchange %s", exchange.id)

    def _unreachable(self, exchange, exc, started, start_response):
        self.open_ids.discard(exchange.id)
        # Which of the mounts' upstreams failed, by host only: a base URL may carry credentials.
        host = urllib3.util.parse_url(self.upstream.base_url).netloc or "?"
        host = host.rsplit("@", 1)[-1]
        mount = self.route.prefix if self.route is not None else self.provider.PROVIDER
        message = f"{_safe_error(exc)}: mount {mount} -> {host}"
        exchange.outcome, exchange.error, exchange.status = "unreachable", message, 502
        exchange.duration_ms = (time.perf_counter() - started) * 1000
        self._record_finish(exchange)
        self.pipeline.error(exchange, message)
        log.warning("upstream unreachable for %s %s: %s", exchange.method, exchange.path.split("?")[0], message)
        body = self.provider.error_body(f"upstream unreachable ({message})")
        start_response("502 Bad Gateway", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def _refuse_websocket(self, environ, start_response):
        """Codex's built-in provider first asks for a WebSocket (GET with Upgrade: websocket) and
        retries it with backoff for seconds unless told plainly that the server will not upgrade:
        426 answers that at once, so it falls back to HTTP + SSE on its next request. Nothing is
        recorded, no model was called."""
        log.info("refused a WebSocket upgrade on %s (%s): answered 426", environ.get("PATH_INFO", ""),
                 self.provider.PROVIDER)
        body = self.provider.error_body("WebSocket transport is not proxied; use HTTP")
        start_response("426 Upgrade Required", [("Content-Type", "application/json"),
                                                ("Content-Length", str(len(body)))])
        return [body]
