"""The HTTP client to the provider: a pooled requests.Session that adds nothing of its own.

requests normally adds User-Agent, Accept, Accept-Encoding and Connection; relay must forward the
client's headers and only those, so the session's defaults are cleared. The body is read raw
(`decode_content=False`) and handed on in the pieces the socket delivers them: chunk by chunk for
chunked responses, whatever is available (read1) otherwise. `transport` is a requests adapter,
the seam tests and benchmarks can replace.
"""
import socket

import requests
from requests.adapters import HTTPAdapter

HOP_BY_HOP = frozenset((
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "host", "content-length", "proxy-connection",
))


def decodable_encodings():
    """Content codings relay can decode on the side to read usage; the response itself is
    always passed through as upstream encoded it."""
    names = ["gzip", "deflate"]
    for module, name in (("brotli", "br"), ("zstandard", "zstd")):
        try:
            __import__(module)
            names.append(name)
        except ImportError:
            pass
    return names


def limit_accept_encoding(value, allowed):
    """Keep only the codings relay can read, so a response it must account for stays readable."""
    kept = [part.strip() for part in value.split(",")
            if part.strip() and part.split(";")[0].strip().lower() in allowed]
    return ", ".join(kept) or "identity"


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
        self.accept_encodings = decodable_encodings()

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
        return self.session.request(method, self.base_url + path_qs, headers=out, data=body or None,
                                    stream=True, timeout=self.timeout, allow_redirects=False)

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
