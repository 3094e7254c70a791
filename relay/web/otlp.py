"""OpenTelemetry export (the optional `otel` extra): with `otlp_endpoint` set, each finished exchange
becomes one span and GenAI semantic-convention metrics (gen_ai.client.token.usage,
gen_ai.client.operation.duration), sent over OTLP/HTTP by the official SDK.

The proxy never waits on it: exchanges arrive here from the bus (a subscriber thread, a greenlet
under gevent), the SDK batches spans (BatchSpanProcessor) and metrics (PeriodicExportingMetricReader)
and exports on its own threads. What the collector did not take is counted, not retried forever:
`Exporter.dropped` (spans and metric points), shown in /metrics and /api/v1/health.

Attributes carry model, tokens, cache, status and timing only: never a prompt, an answer, a
header or a key (the exchange dict the bus carries has none of those).
"""
import importlib
import logging
import os
import threading
import types

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'relay[otel]' (opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http)"
# The wire API's name as GenAI semantic conventions spell gen_ai.system.
SYSTEMS = {"anthropic": "anthropic", "openai": "openai", "gemini": "gcp.gemini", "chatgpt": "openai",
           "code_assist": "gcp.gemini"}
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
EXPORT_TIMEOUT_S = 5       # per export attempt chain: a down collector costs an SDK thread this, never the proxy
METRIC_INTERVAL_MS = 10_000


class Stats:
    """What the exporter did, for /metrics and health: counted from the SDK's threads."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.lock = threading.Lock()
        self.spans_exported = 0
        self.spans_dropped = 0
        self.metric_exports_failed = 0
        self.exchanges_missed = 0    # the bus reset this subscriber (it fell behind)
        self.error = None            # why export is off, when it is
        self.last_export_ok = {"spans": None, "metrics": None}   # None until the first export of each
        self.queue_full = lambda: 0  # () -> spans the SDK's queue dropped (read from the SDK)

    def add(self, field, n=1):
        with self.lock:
            setattr(self, field, getattr(self, field) + n)

    def to_dict(self):
        queue_full = self.queue_full()
        with self.lock:
            return {"endpoint": self.endpoint, "spans_exported": self.spans_exported,
                    "spans_dropped": self.spans_dropped + queue_full, "spans_queue_full": queue_full,
                    "metric_exports_failed": self.metric_exports_failed,
                    "exchanges_missed": self.exchanges_missed, "error": self.error,
                    "last_span_export_ok": self.last_export_ok["spans"],
                    "last_metric_export_ok": self.last_export_ok["metrics"]}


def _attributes(ex):
    """The GenAI attributes every metric point and the span share (bounded: no ids)."""
    model = ex.get("model") or "unknown"
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.system": SYSTEMS.get(ex.get("provider"), ex.get("provider")),
             "gen_ai.request.model": model, "gen_ai.response.model": model}
    if ex.get("outcome") != "ok":
        attrs["error.type"] = str(ex.get("status") or ex.get("outcome"))
    return attrs


def prompt_tokens(ex):
    # Semantic conventions count cached tokens in input; Anthropic reports them apart.
    return ((ex.get("input_tokens") or 0) + (ex.get("cache_read_input_tokens") or 0)
            + (ex.get("cache_creation_input_tokens") or 0))


class Exporter:
    """The SDK pipeline for one relay process; `record(exchange dict)` from the bus thread."""

    def __init__(self, endpoint, sdk):
        self.stats = Stats(endpoint)
        base = endpoint.rstrip("/")
        resource = sdk.Resource.create({"service.name": "relay"})
        self.spans = spans = _Counting(sdk.OTLPSpanExporter(endpoint=base + "/v1/traces", timeout=EXPORT_TIMEOUT_S),
                                       self.stats, True, sdk.SpanExportResult.FAILURE)
        self.tracer_provider = sdk.TracerProvider(resource=resource)
        # The processor's own metrics (otel.sdk.processor.span.processed) are the only account of the
        # spans it drops when its queue is full (the collector slower than the traffic); they are
        # read in process, not exported.
        # The SDK keeps that count only when its internal metrics are on (experimental, off by default).
        os.environ.setdefault("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED", "true")
        self.self_reader = sdk.InMemoryMetricReader()
        self.self_meter = sdk.MeterProvider(metric_readers=[self.self_reader])
        try:
            processor = sdk.BatchSpanProcessor(spans, meter_provider=self.self_meter)
        except TypeError:    # an SDK before 1.39 keeps no such count
            processor = sdk.BatchSpanProcessor(spans)
        self.tracer_provider.add_span_processor(processor)
        self.stats.queue_full = self._queue_full
        self.metrics = metrics = _Counting(
            sdk.OTLPMetricExporter(endpoint=base + "/v1/metrics", timeout=EXPORT_TIMEOUT_S),
            self.stats, False, sdk.MetricExportResult.FAILURE)
        # The SDK's own OTEL_METRIC_EXPORT_INTERVAL wins when set; its default (60 s) is long for a live view.
        interval = None if os.environ.get("OTEL_METRIC_EXPORT_INTERVAL") else METRIC_INTERVAL_MS
        reader = sdk.PeriodicExportingMetricReader(metrics, export_interval_millis=interval)
        views = [sdk.View(instrument_name="gen_ai.client.token.usage",
                          aggregation=sdk.ExplicitBucketHistogramAggregation(TOKEN_BUCKETS)),
                 sdk.View(instrument_name="gen_ai.client.operation.duration",
                          aggregation=sdk.ExplicitBucketHistogramAggregation(DURATION_BUCKETS))]
        self.meter_provider = sdk.MeterProvider(resource=resource, metric_readers=[reader], views=views)
        meter = self.meter_provider.get_meter("relay")
        self.tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}",
                                             description="Measures number of input and output tokens used")
        self.duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s",
                                               description="GenAI operation duration")
        self.tracer = self.tracer_provider.get_tracer("relay")
        self.span_kind = sdk.SpanKind.CLIENT
        self.error_status = sdk.Status(sdk.StatusCode.ERROR)

    def record(self, ex):
        attrs = _attributes(ex)
        if ex.get("outcome") == "ok" or prompt_tokens(ex) or ex.get("output_tokens"):
            self.tokens.record(prompt_tokens(ex), {**attrs, "gen_ai.token.type": "input"})
            self.tokens.record(ex.get("output_tokens") or 0, {**attrs, "gen_ai.token.type": "output"})
        seconds = (ex.get("duration_ms") or 0) / 1000
        self.duration.record(seconds, attrs)
        start_ns = int(ex["ts"] * 1e9)
        span = self.tracer.start_span(f"chat {attrs['gen_ai.request.model']}", kind=self.span_kind,
                                      start_time=start_ns, attributes={**attrs, **_span_extras(ex)})
        if ex.get("outcome") != "ok":
            span.set_status(self.error_status)
        span.end(end_time=start_ns + int(seconds * 1e9))

    def _queue_full(self):
        """Spans the batch processor dropped because its queue was full."""
        data = self.self_reader.get_metrics_data()
        return int(sum(p.value for rm in (data.resource_metrics if data else ()) for sm in rm.scope_metrics
                       for m in sm.metrics if m.name == "otel.sdk.processor.span.processed"
                       for p in m.data.data_points if p.attributes.get("error.type") == "queue_full"))

    def shutdown(self):
        # A collector that failed the last export is taken as down: the exporters are shut first, so
        # the final flush fails at once (counted as drops) instead of holding relay's stop for retries.
        for counting in (self.spans, self.metrics):
            if counting.last_ok is False:
                counting.inner.shutdown()
        for stop in (self.tracer_provider.shutdown, lambda: self.meter_provider.shutdown(timeout_millis=5000)):
            try:
                stop()
            except Exception:   # a collector gone at exit must not stop relay's own shutdown
                log.warning("otlp: shutdown failed", exc_info=True)


def _span_extras(ex):
    extras = {"gen_ai.usage.input_tokens": prompt_tokens(ex),
              "gen_ai.usage.output_tokens": ex.get("output_tokens") or 0,
              "gen_ai.usage.cache_read.input_tokens": ex.get("cache_read_input_tokens") or 0,
              "gen_ai.usage.cache_creation.input_tokens": ex.get("cache_creation_input_tokens") or 0,
              "relay.outcome": ex.get("outcome") or "unknown", "relay.client": ex.get("cli") or "unknown",
              "relay.stream": bool(ex.get("stream"))}
    if ex.get("status") is not None:
        extras["http.response.status_code"] = ex["status"]
    if ex.get("stop_reason"):
        extras["gen_ai.response.finish_reasons"] = (ex["stop_reason"],)
    if ex.get("ttfb_ms") is not None:
        extras["relay.ttfb_s"] = ex["ttfb_ms"] / 1000
    return extras


class _Counting:
    """An SDK exporter that counts what the collector did not take (the SDK only logs it)."""

    def __init__(self, inner, stats, span, failure):
        self.inner, self.stats, self.span, self.failure = inner, stats, span, failure
        self.last_ok = None
        self._preferred_temporality = getattr(inner, "_preferred_temporality", None)
        self._preferred_aggregation = getattr(inner, "_preferred_aggregation", None)

    def export(self, batch, *args, **kwargs):
        try:
            result = self.inner.export(batch, *args, **kwargs)
        except Exception:
            log.debug("otlp: export raised", exc_info=True)
            result = self.failure
        ok = self.last_ok = result != self.failure
        self.stats.last_export_ok["spans" if self.span else "metrics"] = ok
        if self.span:
            self.stats.add("spans_exported" if ok else "spans_dropped", len(batch))
        elif not ok:
            self.stats.add("metric_exports_failed")
        return result

    def __getattr__(self, name):
        return getattr(self.inner, name)


# The SDK's parts relay uses: name -> module. Optional dependency (the `otel` extra), imported
# only when an endpoint is set.
_SDK_PARTS = {
    "OTLPMetricExporter": "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "OTLPSpanExporter": "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "MeterProvider": "opentelemetry.sdk.metrics",
    "MetricExportResult": "opentelemetry.sdk.metrics.export",
    "PeriodicExportingMetricReader": "opentelemetry.sdk.metrics.export",
    "InMemoryMetricReader": "opentelemetry.sdk.metrics.export",
    "ExplicitBucketHistogramAggregation": "opentelemetry.sdk.metrics.view",
    "View": "opentelemetry.sdk.metrics.view",
    "Resource": "opentelemetry.sdk.resources",
    "TracerProvider": "opentelemetry.sdk.trace",
    "BatchSpanProcessor": "opentelemetry.sdk.trace.export",
    "SpanExportResult": "opentelemetry.sdk.trace.export",
    "SpanKind": "opentelemetry.trace",
    "Status": "opentelemetry.trace",
    "StatusCode": "opentelemetry.trace",
}


def load_sdk():
    """The SDK's parts as one namespace, or None when the `otel` extra is not installed."""
    try:
        return types.SimpleNamespace(**{name: getattr(importlib.import_module(module), name)
                                        for name, module in _SDK_PARTS.items()})
    except (ImportError, AttributeError):
        return None


def start(endpoint, bus, sdk=None):
    """Export every finished exchange the bus announces; returns the running Feed, or a Feed whose
    stats say why export is off (the SDK missing) - relay runs on either way."""
    sdk = sdk or load_sdk()
    if sdk is None:
        stats = Stats(endpoint)
        stats.error = f"otlp_endpoint is set but the OpenTelemetry SDK is not installed: {INSTALL_HINT}"
        log.warning("relay: %s; relay runs without OTLP export", stats.error)
        return Feed(None, bus, stats)
    return Feed(Exporter(endpoint, sdk), bus).start()


class Feed:
    """The bus subscriber that hands finished exchanges to the exporter, on its own thread."""

    def __init__(self, exporter, bus, stats=None):
        self.exporter = exporter
        self.stats = exporter.stats if exporter else stats
        self.bus = bus
        self.stopping = threading.Event()
        self.thread = None
        self.sub = None

    def start(self):
        self.sub = self.bus.subscribe()
        self.thread = threading.Thread(target=self._run, name="otlp-feed", daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self.stopping.is_set():
            event = self.sub.get(timeout=0.5)
            if event is None:
                continue
            if event.kind == "reset":
                self.stats.add("exchanges_missed")
            elif event.kind == "exchange/finish":
                try:
                    self.exporter.record(event.data)
                except Exception:   # one odd exchange must not end the export of the others
                    log.warning("otlp: exchange %s not exported", event.data.get("id"), exc_info=True)

    def stop(self):
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=2)
            self.sub.close()
        if self.exporter is not None:
            self.exporter.shutdown()
