"""The cost of OTLP export per exchange, two ways:

1. in process: `Exporter.record` (one span and three histogram points handed to the SDK) per
   exchange, and the SDK threads' export time per span (the batches sent to a loopback receiver);
2. end to end: a real `relay serve` (gevent) in front of the fake upstream, N sequential
   streamed exchanges without otlp_endpoint, with it (a loopback receiver that decodes nothing),
   and with it pointing at a port where nothing listens; mean and p50 time per exchange.

    python bench/otlp_export.py --exchanges 300

Numbers only; nothing is asserted.
"""
import argparse
import http.server
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relay.web import otlp  # noqa: E402
from tests.fake_upstream import FakeUpstream  # noqa: E402
from tests.relay_process import RelayProcess  # noqa: E402
from tests.web.test_prometheus_server import _free_port  # noqa: E402

HEADERS = {"content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01",
           "user-agent": "claude-cli/2.1.0 (external, cli)"}
BODY = (b'{"model": "claude-opus-5-5", "max_tokens": 64, "stream": true,'
        b' "messages": [{"role": "user", "content": "say hi"}]}')
EXCHANGE = {"id": "x", "ts": time.time(), "provider": "anthropic", "model": "claude-opus-5-5", "status": 200,
            "outcome": "ok", "stream": True, "cli": "claude", "stop_reason": "end_turn", "duration_ms": 420.0,
            "ttfb_ms": 180.0, "input_tokens": 12, "output_tokens": 7, "cache_read_input_tokens": 3000,
            "cache_creation_input_tokens": 1500}


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _sink():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def in_process(n):
    server, url = _sink()
    exporter = otlp.Exporter(url, otlp.load_sdk())
    for _ in range(50):   # the SDK makes each attribute set's storage on first use
        exporter.record(EXCHANGE)
    exporter.tracer_provider.force_flush()
    start = time.perf_counter()
    for _ in range(n):
        exporter.record(EXCHANGE)
    record_s = time.perf_counter() - start
    start = time.perf_counter()
    exporter.tracer_provider.force_flush()
    exporter.meter_provider.force_flush()
    flush_s = time.perf_counter() - start
    exporter.shutdown()
    server.shutdown()
    print(f"in process: record {record_s / n * 1e6:.1f} us/exchange on the feed thread; "
          f"export of the queued spans and metrics {flush_s / n * 1e6:.1f} us/exchange on the SDK threads "
          f"({exporter.stats.spans_exported - 50} spans sent)")


def end_to_end(n, endpoint, label):
    with tempfile.TemporaryDirectory(prefix="relay-bench-otlp-") as home:
        env = {k: v for k, v in os.environ.items() if k != "RELAY_OTLP_ENDPOINT"}
        env["RELAY_HOME"] = home
        if endpoint:
            env["RELAY_OTLP_ENDPOINT"] = endpoint
        return _timed(n, env, label)


def _timed(n, env, label):
    upstream = FakeUpstream().start()
    relay = RelayProcess(upstream.url, env=env).start()
    try:
        session = requests.Session()
        for _ in range(20):   # warm up
            _ = session.post(f"{relay.url}/v1/messages", data=BODY, headers=HEADERS, timeout=10).content
        times = []
        for _ in range(n):
            start = time.perf_counter()
            _ = session.post(f"{relay.url}/v1/messages", data=BODY, headers=HEADERS, timeout=10).content
            times.append(time.perf_counter() - start)
        health = session.get(f"{relay.url}/api/v1/health", timeout=10).json().get("otlp")
    finally:
        relay.stop()
        upstream.stop()
    print(f"{label:<16} mean {statistics.mean(times) * 1000:.3f} ms  p50 {statistics.median(times) * 1000:.3f} ms"
          f"  p95 {sorted(times)[int(n * 0.95)] * 1000:.3f} ms  otlp={health}")
    return statistics.mean(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=300)
    args = parser.parse_args()
    if otlp.load_sdk() is None:
        sys.exit("the otel extra is not installed: " + otlp.INSTALL_HINT)
    in_process(args.exchanges)
    server, url = _sink()
    base = end_to_end(args.exchanges, None, "no export")
    on = end_to_end(args.exchanges, url, "export")
    down = end_to_end(args.exchanges, f"http://127.0.0.1:{_free_port()}", "collector down")
    server.shutdown()
    print(f"added per exchange: export {(on - base) * 1000:+.3f} ms, collector down {(down - base) * 1000:+.3f} ms")


if __name__ == "__main__":
    main()
