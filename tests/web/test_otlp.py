"""OTLP/HTTP export from a real `relay serve` (gevent): a loopback receiver decodes the official
protobuf messages (opentelemetry-proto) and the spans and GenAI metrics must match the exchanges
sent through the proxy, with no prompt or key in any byte; a collector that is down costs the
proxy nothing and shows as drops; without the SDK relay says so and runs on."""
import gzip
import http.server
import os
import threading
import time

import pytest
import requests

from tests.proxy.conftest import messages_body, wait_rows
from tests.relay_process import RelayProcess
from tests.waiting import eventually
from tests.web import promtext
from tests.web.test_prometheus_server import _free_port

pb_trace = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2",
                               reason="opentelemetry-proto not installed (the otel extra)")
pb_metrics = pytest.importorskip("opentelemetry.proto.collector.metrics.v1.metrics_service_pb2")
pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="the otel extra is not installed")

SECRET_PROMPT = "PURPLE-ELEPHANT-7731 tell me the launch codes"
KEY = "sk-ant-api03-OTLPTESTKEY-do-not-export"
HEADERS = {"content-type": "application/json", "x-api-key": KEY, "anthropic-version": "2023-06-01",
           "user-agent": "claude-cli/2.1.0 (external, cli)"}
FAST = {"OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_METRIC_EXPORT_INTERVAL": "200"}


def _body(stream):
    return messages_body(stream=stream, messages=[{"role": "user", "content": SECRET_PROMPT}])


class Receiver:
    """A collector stand-in: accepts /v1/traces and /v1/metrics, keeps raw bodies and decoded messages."""

    def __init__(self):
        self.raw, self.traces, self.metrics = [], [], []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                receiver.raw.append(body)
                if self.path == "/v1/traces":
                    message = pb_trace.ExportTraceServiceRequest()
                    message.ParseFromString(body)
                    receiver.traces.append(message)
                    answer = pb_trace.ExportTraceServiceResponse()
                elif self.path == "/v1/metrics":
                    message = pb_metrics.ExportMetricsServiceRequest()
                    message.ParseFromString(body)
                    receiver.metrics.append(message)
                    answer = pb_metrics.ExportMetricsServiceResponse()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = answer.SerializeToString()
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def spans(self):
        return [span for message in list(self.traces) for rs in message.resource_spans
                for ss in rs.scope_spans for span in ss.spans]

    def latest_points(self, name):
        """The data points of metric `name` in the newest export that has it (cumulative totals)."""
        for message in reversed(list(self.metrics)):
            for rm in message.resource_metrics:
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        if metric.name == name:
                            return metric, list(metric.histogram.data_points)
        return None, []

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def _attrs(item):
    out = {}
    for kv in item.attributes:
        v = kv.value
        kind = v.WhichOneof("value")
        out[kv.key] = list(x.string_value for x in v.array_value.values) if kind == "array_value" else getattr(v, kind)
    return out


@pytest.fixture
def relay_with(upstream):
    started = []

    def start(endpoint, extra_env=None):
        env = {**os.environ, "RELAY_OTLP_ENDPOINT": endpoint, **FAST, **(extra_env or {})}
        process = RelayProcess(upstream.url, env=env).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def test_spans_and_genai_metrics_reach_the_collector(receiver, relay_with):   # relay stops first
    relay = relay_with(receiver.url)
    for stream in (False, True):
        assert requests.post(f"{relay.url}/v1/messages", data=_body(stream), headers=HEADERS, timeout=10).ok
    requests.post(f"{relay.url}/v1/messages", data=_body(False), headers={**HEADERS, "x-fake-scenario": "error-500"},
                  timeout=10)
    wait_rows(relay.url, 3)
    spans = eventually(lambda: len(receiver.spans()) >= 3 and receiver.spans(), "3 spans", timeout=30)
    assert len(spans) == 3
    attrs = sorted((_attrs(s) for s in spans), key=lambda a: (a["http.response.status_code"], a["relay.stream"]))
    ok = attrs[0]
    assert ok["gen_ai.operation.name"] == "chat" and ok["gen_ai.system"] == "anthropic"
    assert ok["gen_ai.request.model"] == ok["gen_ai.response.model"] == "claude-opus-5-5"
    # fake upstream usage: 12 input, 1500 cache writes, 3000 cache reads, 7 output
    assert (ok["gen_ai.usage.input_tokens"], ok["gen_ai.usage.output_tokens"]) == (4512, 7)
    assert (ok["gen_ai.usage.cache_read.input_tokens"], ok["gen_ai.usage.cache_creation.input_tokens"]) == (3000, 1500)
    assert ok["relay.client"] == "claude" and ok["relay.outcome"] == "ok"
    assert ok["gen_ai.response.finish_reasons"] == ["end_turn"]
    assert attrs[1]["relay.stream"] is True and attrs[1]["gen_ai.usage.input_tokens"] == 4512
    failed = attrs[2]
    assert failed["http.response.status_code"] == 500 and failed["error.type"] == "500"
    assert {s.name for s in spans} == {"chat claude-opus-5-5"}
    assert all(s.kind == s.SPAN_KIND_CLIENT and s.end_time_unix_nano >= s.start_time_unix_nano for s in spans)

    def tokens_done():
        metric, points = receiver.latest_points("gen_ai.client.token.usage")
        return (metric, points) if sum(p.count for p in points) == 4 else None

    metric, points = eventually(tokens_done, "token usage of both answers", timeout=30)
    assert metric.unit == "{token}"
    by_type = {_attrs(p)["gen_ai.token.type"]: p for p in points}
    assert (by_type["input"].sum, by_type["input"].count) == (9024, 2)
    assert (by_type["output"].sum, by_type["output"].count) == (14, 2)
    assert _attrs(by_type["input"])["gen_ai.request.model"] == "claude-opus-5-5"
    _, durations = eventually(lambda: (lambda m, p: (m, p) if sum(x.count for x in p) == 3 else None)(
        *receiver.latest_points("gen_ai.client.operation.duration")), "3 durations")
    assert {_attrs(p).get("error.type") for p in durations} == {None, "500"}
    raw = b"".join(receiver.raw)
    assert b"PURPLE-ELEPHANT" not in raw and b"OTLPTESTKEY" not in raw and b"launch codes" not in raw
    health = requests.get(f"{relay.url}/api/v1/health", timeout=5).json()["otlp"]
    assert health["spans_exported"] == 3 and health["spans_dropped"] == 0 and health["error"] is None


def test_collector_down_drops_with_a_counter(relay_with):
    relay = relay_with(f"http://127.0.0.1:{_free_port()}")   # nothing listens there
    for _ in range(4):
        response = requests.post(f"{relay.url}/v1/messages", data=_body(True), headers=HEADERS, timeout=10)
        assert response.status_code == 200 and b"message_stop" in response.content
    wait_rows(relay.url, 4)

    def dropped():
        families = promtext.parse(requests.get(f"{relay.url}/metrics", timeout=10).text)
        return promtext.value(families, "relay_otlp_spans_dropped_total") >= 4 and families

    families = eventually(dropped, "the drop counter", timeout=60)
    assert promtext.value(families, "relay_otlp_spans_exported_total") == 0
    assert requests.post(f"{relay.url}/v1/messages", data=_body(False), headers=HEADERS, timeout=10).ok
    assert requests.get(f"{relay.url}/api/v1/health", timeout=5).json()["otlp"]["spans_dropped"] >= 4


def test_without_the_sdk_relay_says_so_and_runs_on(receiver, relay_with, tmp_path):
    shadow = tmp_path / "no-otel" / "opentelemetry"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('the otel extra is not installed here')\n")
    relay = relay_with(receiver.url, {"PYTHONPATH": str(shadow.parent)})
    assert requests.post(f"{relay.url}/v1/messages", data=_body(False), headers=HEADERS, timeout=10).ok
    assert relay.wait_stderr("OpenTelemetry SDK is not installed")
    assert "relay[otel]" in "".join(relay.stderr_lines)
    health = requests.get(f"{relay.url}/api/v1/health", timeout=5).json()["otlp"]
    assert "not installed" in health["error"]
    assert receiver.raw == []


def test_a_full_span_queue_counts_its_drops(monkeypatch):
    """A collector slower than the traffic: the BatchSpanProcessor's queue fills and drops spans,
    which the SDK only logs; they are counted with the failed exports."""
    from relay.web import otlp

    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "4")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2")
    exporter = otlp.Exporter(f"http://127.0.0.1:{_free_port()}", otlp.load_sdk())   # nothing listens
    try:
        exchange = {"id": "q", "ts": time.time(), "provider": "anthropic", "model": "m", "status": 200,
                    "outcome": "ok", "duration_ms": 10.0, "input_tokens": 1, "output_tokens": 1}
        for _ in range(20):   # the worker is busy retrying the first batch: 4 wait, the rest overflow
            exporter.record(exchange)
        stats = exporter.stats.to_dict()
        assert stats["spans_queue_full"] >= 20 - 2 - 4 and stats["spans_dropped"] >= stats["spans_queue_full"]
    finally:
        exporter.shutdown()
    # Every span is lost; the SDK's queue count can run one over when its worker drains the queue
    # between its full check and the insert.
    stats = exporter.stats.to_dict()
    assert 20 <= stats["spans_dropped"] <= 22 and stats["spans_exported"] == 0
