"""A stand-in for a running relay: a real HTTP server on 127.0.0.1 that answers
GET /api/v1/health like relay does, and a helper that finds a port where nothing listens."""
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

VERSION = "9.9.9"


class _Health(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"ok": True, "version": VERSION}).encode()
        self.send_response(200 if self.path == "/api/v1/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def relay_up():
    """Yields the port of a fake relay answering /api/v1/health."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def dead_port():
    """A loopback port that was free a moment ago (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
