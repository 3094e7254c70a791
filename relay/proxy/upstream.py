"""The HTTP client to the provider: a pooled requests.Session that adds nothing of its own.

requests normally adds User-Agent, Accept, Accept-Encoding and Connection; relay must forward the
client's headers and only those, so the session's defaults are cleared. The body is read raw
(`decode_content=False`) and handed on in the pieces the socket delivers them: chunk by chunk for
chunked responses, whatever is available (read1) otherwise. `transport` is a requests adapter,
the seam tests and benchmarks can replace.

With the default adapter, `send` goes to the adapter's urllib3 pool directly, with the arguments
requests itself would pass (same pool, TLS verification, retries, timeouts, raw undecoded body)
and raising requests' exception types: requests' own request preparation costs about 0.4 ms per
request, on every request's time to first byte. With an injected transport, requests drives it
as usual. Either way `send` returns an object with status_code, reason, headers, raw, close().
"""
import http.client
import socket
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.exceptions import ConnectionError, ConnectTimeout, InvalidHeader, InvalidURL, ReadTimeout, SSLError
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ReadTimeoutError

from relay.proxy import side_decode

HOP_BY_HOP = frozenset((
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "host", "content-length", "proxy-connection",
))


def limit_accept_encoding(value, allowed):
    """Keep only the codings relay can read, so a response it must account for stays readable."""
    kept = [part.strip() for part in value.split(",")
            if part.strip() and part.split(";")[0].strip().lower() in allowed]
    return ", ".join(kept) or "identity"


class Response:
    """What `send` returns on the direct path: the parts of requests.Response relay uses."""
    __slots__ = ("raw", "status_code", "reason", "headers")

    def __init__(self, raw):
        self.raw = raw
        self.status_code = raw.status
        self.reason = raw.reason
        self.headers = raw.headers   # case-insensitive, like requests' headers

    def close(self):
        # As requests.Response.close for an unconsumed body: drop the connection unless the body
        # was read to its end (urllib3 has then already returned it to the pool).
        self.raw.close()
        self.raw.release_conn()


def _as_requests_error(exc):
    """urllib3's exception as the requests exception requests' adapter would raise."""
    if isinstance(exc, MaxRetryError):
        reason = exc.reason
        if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
            return ConnectTimeout(exc)
        if isinstance(reason, urllib3.exceptions.SSLError):
            return SSLError(exc)
        return ConnectionError(exc)
    if isinstance(exc, urllib3.exceptions.SSLError):
        return SSLError(exc)
    if isinstance(exc, ReadTimeoutError):
        return ReadTimeout(exc)
    if isinstance(exc, http.client.InvalidURL):
        return InvalidURL(exc)
    if isinstance(exc, ValueError):   # http.client refusing a header; its message holds the value
        return InvalidHeader("a request header has characters HTTP does not allow")
    return ConnectionError(exc)   # ProtocolError, ClosedPoolError, OSError and the rest


# Carries the request target, as the client sent it, past urllib3's re-encoding to the connection
# (which removes it). A name http.client refuses to send, should it ever reach another connection.
RAW_TARGET = "relay raw target"


def _send_body_under(pool, body_timeout):
    """urllib3 sends the request body under the connect timeout (the socket keeps that timeout
    until the request is sent): a body that takes longer to go up (20 MB on a 1 MB/s uplink)
    would fail as "cannot connect". The pool's connections then connect under the connect
    timeout and send under `body_timeout` (the read timeout: how long upstream may keep relay
    waiting). Done once per pool."""
    base: Any = pool.ConnectionCls
    if hasattr(base, "body_timeout"):
        return

    class Connection(base):
        def request(self, method, url, body=None, headers=None, **kwargs):
            # urllib3 re-encodes the target (%2f becomes %2F); it goes up as the client sent it.
            url = headers.pop(RAW_TARGET, url) if headers is not None else url
            if self.sock is None:
                self.connect()
            self.timeout = body_timeout
            return super().request(method, url, body=body, headers=headers, **kwargs)

    Connection.body_timeout = body_timeout
    pool.ConnectionCls = Connection


class Upstream:
    def __init__(self, base_url, connect_timeout=10.0, read_timeout=600.0, transport=None, pool_size=1024):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        self.session.headers.clear()
        self.session.trust_env = False   # never route through a proxy from the environment
        adapter = transport or HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, pool_block=False, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.accept_encodings = side_decode.codings()
        self._direct = None
        if transport is None:
            # The pool key requests would use for this URL (scheme, host, port; TLS: verify
            # against requests' CA bundle), computed once.
            probe = requests.Request("GET", self.base_url + "/").prepare()
            host_params, pool_kwargs = adapter.build_connection_pool_key_attributes(probe, True, None)
            self._direct = (adapter, host_params, pool_kwargs,
                            urllib3.util.Timeout(connect=connect_timeout, read=read_timeout))
            self._prefix = urllib3.util.parse_url(self.base_url).path or ""

    def send(self, method, path_qs, headers, body):
        """Send the request; returns the response with headers read and the body unread."""
        out = {}
        for name, value in headers:
            lower = name.lower()
            if lower in HOP_BY_HOP:
                continue
            if lower == "accept-encoding":
                value = limit_accept_encoding(value, self.accept_encodings)
            out[name] = value
        if self._direct is None:
            return self.session.request(method, self.base_url + path_qs, headers=out, data=body or None,
                                        stream=True, timeout=self.timeout, allow_redirects=False)
        adapter, host_params, pool_kwargs, timeout = self._direct
        out[RAW_TARGET] = self._prefix + path_qs
        # As requests' prepare_content_length: the length of the body, or 0 for an empty body
        # except on GET and HEAD.
        if body:
            out["Content-Length"] = str(len(body))
        elif method not in ("GET", "HEAD"):
            out["Content-Length"] = "0"
        try:
            pool = adapter.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)
            _send_body_under(pool, timeout.read_timeout)
            adapter.cert_verify(pool, self.base_url, True, None)
            raw = pool.urlopen(method, self._prefix + path_qs, body=body or None, headers=out, redirect=False,
                               assert_same_host=False, preload_content=False, decode_content=False,
                               retries=adapter.max_retries, timeout=timeout, chunked=False)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise _as_requests_error(exc) from exc
        return Response(raw)

    @staticmethod
    def iter_raw(response):
        """The body as it arrives, undecoded; ends early if the connection is closed under it."""
        raw = response.raw
        if raw.chunked and raw.supports_chunked_reads():
            yield from raw.read_chunked(decode_content=False)
            return
        while True:
            chunk = raw.read1(65536, decode_content=False)
            if not chunk:
                return
            yield chunk

    @staticmethod
    def abort(response):
        """Cut the upstream connection under a reader blocked on it (closing the response from
        another greenlet would be a reentrant close of its buffer); the reader wakes with EOF."""
        conn = getattr(response.raw, "connection", None)
        sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.session.close()
