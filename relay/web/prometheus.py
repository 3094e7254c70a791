"""GET /metrics: Prometheus text exposition (format 0.0.4) over what the proxy recorded.

Every counter and histogram is labelled provider, user, client (claude/codex/gemini) and model,
with a bound on distinct users and models (see Labels; never a session id). Families: requests by
status class/outcome, errors by outcome, tokens by kind, cost in USD (and unpriced requests,
never counted as $0), total and time-to-first-byte latency histograms, in-flight requests, quota
gauges per user from the latest measured rate-limit headers, and the OTLP exporter's drops.
Counters are totals over the database, so they survive relay restarts. They are tallied
incrementally by rowid (see relay.store.totals_queries): a scrape reads only the rows that
finished since the previous one, and prices them per row in SQL (row_dollars).
"""
import threading
import time

from flask import Blueprint, Response, current_app

from relay.costs import prices, quota
from relay.costs.prices import KINDS
from relay.costs.ratelimits import parse_anthropic, parse_codex, parse_gemini
from relay.costs.today import PER_TOKEN
from relay.store import metrics_queries, totals_queries
from relay.web.offload import offloaded

bp = Blueprint("metrics", __name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds; LLM responses run from sub-second errors to multi-minute streams.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
TTFB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)
TOKEN_KINDS = {"input_tokens": "input", "output_tokens": "output", "cache_read_input_tokens": "cache_read",
               "cache_creation_5m_input_tokens": "cache_write_5m", "cache_creation_1h_input_tokens": "cache_write_1h",
               "reasoning_tokens": "reasoning"}


def escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def number(value):
    if value == float("inf"):
        return "+Inf"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


class Exposition:
    """Collects families in order and writes the text format: HELP and TYPE once per family."""

    def __init__(self):
        self.lines = []

    def family(self, name, kind, help_text):
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")

    def sample(self, name, value, **labels):
        inner = ",".join(f'{k}="{escape(v)}"' for k, v in labels.items())
        self.lines.append(f"{name}{{{inner}}} {number(value)}" if inner else f"{name} {number(value)}")

    def histogram(self, name, bounds, data, **labels):
        for bound, count in zip(bounds, data["buckets"]):
            self.sample(name + "_bucket", count, **labels, le=number(float(bound)))
        self.sample(name + "_bucket", data["count"], **labels, le="+Inf")
        self.sample(name + "_sum", data["sum"], **labels)
        self.sample(name + "_count", data["count"], **labels)

    def text(self):
        return "\n".join(self.lines) + "\n"


# The label bound: at most this many distinct users and models get their own series; later ones
# (in order of first appearance in the store, so the same after a restart) are folded into "other".
# Clients are claude, codex, gemini or unknown. Series per family <= providers x clients x
# (MAX_USERS + 1) x (MAX_MODELS + 1), and no label carries a session id.
MAX_USERS = 50
MAX_MODELS = 30
CLIENTS = ("claude", "codex", "gemini")
OTHER = "other"


class Labels:
    """Folds raw (provider, user, client, model) into bounded label values, admitting names first come."""

    def __init__(self, max_users=MAX_USERS, max_models=MAX_MODELS):
        self.limits = {"user": max_users, "model": max_models}
        self.admitted = {"user": set(), "model": set()}

    def _name(self, kind, raw):
        if not raw:
            return "unknown"
        seen = self.admitted[kind]
        if raw in seen:
            return raw
        if len(seen) < self.limits[kind]:
            seen.add(raw)
            return raw
        return OTHER

    def fold(self, key):
        provider, user, client, model = key
        return (provider, self._name("user", user), client if client in CLIENTS else (OTHER if client else "unknown"),
                self._name("model", model))


def _add_counts(into, key, values):
    mine = into.setdefault(key, dict.fromkeys(values, 0))
    for field, n in values.items():
        mine[field] += n


class Tally:
    """Every counter and histogram of the exposition, advanced batch by batch (see
    totals_queries.Batch): a scrape reads only the rows finished since the previous one. One per app.
    Counters are totals over the store, so a restarted relay reads them all back (monotonic for
    Prometheus, and equal across restarts: the store, not the process, is the source)."""

    def __init__(self, labels=None):
        self.lock = threading.Lock()
        self.labels = labels or Labels()
        self.rowid = 0
        self.pending = set()        # rowids that were in flight at the last read
        self.requests = {}          # (provider, user, client, model, status_class, outcome) -> n
        self.usage = {}             # (provider, user, client, model) -> {usage field, dollars, unpriced}
        self.hists = {"duration_ms": {}, "ttfb_ms": {}}

    def update(self, store, table):
        with self.lock:
            store.read(lambda conn: self._in_snapshot(conn, table))
            return self.snapshot()

    def _in_snapshot(self, conn, table):
        # One read transaction: a row that finishes between two of the queries would otherwise
        # be missed by the totals and by the set of rows still open.
        conn.execute("BEGIN")
        try:
            self._advance(conn, table)
        finally:
            conn.rollback()

    def _advance(self, conn, table):
        batch = totals_queries.Batch(conn, self.rowid, self.pending)
        if batch.hi == self.rowid and not self.pending:
            return
        # First: it admits label names in order of first rowid.
        for key, status_class, outcome, n in totals_queries.requests_by_class(conn, batch):
            full = (*self.labels.fold(key), status_class, outcome)
            self.requests[full] = self.requests.get(full, 0) + n
        by_model = {m: table.lookup(m) for m in totals_queries.models_in(conn, batch) if m}
        dollars_sql, args = totals_queries.row_dollars(by_model, KINDS, PER_TOKEN)
        for key, sums in totals_queries.usage_by_series(conn, batch, dollars_sql, args).items():
            _add_counts(self.usage, self.labels.fold(key), sums)
        for column, bounds in (("duration_ms", LATENCY_BUCKETS), ("ttfb_ms", TTFB_BUCKETS)):
            ms = [b * 1000 for b in bounds]
            for key, h in totals_queries.histogram(conn, column, ms, batch).items():
                mine = self.hists[column].setdefault(self.labels.fold(key),
                                                     {"count": 0, "sum": 0.0, "buckets": [0] * len(bounds)})
                mine["count"] += h["count"]
                mine["sum"] += h["sum"] / 1000
                mine["buckets"] = [a + b for a, b in zip(mine["buckets"], h["buckets"])]
        # Same snapshot as the queries above: the rows still open are exactly those they skipped.
        self.pending = batch.still_open(conn)
        self.rowid = batch.hi

    def snapshot(self):
        return {"requests": dict(self.requests), "usage": {k: dict(v) for k, v in self.usage.items()},
                "hists": {c: {k: dict(h) for k, h in hs.items()} for c, hs in self.hists.items()}}


def _series(key):
    return dict(zip(("provider", "user", "client", "model"), key))


def _sorted(items):
    return sorted(items, key=lambda kv: tuple(map(str, kv[0])))


def _requests(out, counts):
    out.family("relay_requests_total", "counter", "Finished proxied requests.")
    for key, n in _sorted(counts.items()):
        out.sample("relay_requests_total", n, **_series(key[:4]), status_class=key[4], outcome=key[5])
    out.family("relay_errors_total", "counter",
               "Finished requests that did not end ok (HTTP error, cut stream, unreachable), by outcome "
               "and status class.")
    for key, n in _sorted(counts.items()):
        if key[5] != "ok":
            out.sample("relay_errors_total", n, **_series(key[:4]), status_class=key[4], outcome=key[5])


def _tokens(out, usage):
    out.family("relay_tokens_total", "counter", "Tokens reported by upstream usage, by kind. "
               "cache_write_unsplit is cache creation without a 5m/1h split.")
    for key, sums in _sorted(usage.items()):
        for field, kind in TOKEN_KINDS.items():
            out.sample("relay_tokens_total", sums[field], **_series(key), kind=kind)
        split = sums["cache_creation_5m_input_tokens"] + sums["cache_creation_1h_input_tokens"]
        out.sample("relay_tokens_total", max(sums["cache_creation_input_tokens"] - split, 0),
                   **_series(key), kind="cache_write_unsplit")


def _cost(out, usage):
    out.family("relay_cost_usd_total", "counter", "Cost in US dollars from the price table.")
    for key, sums in _sorted(usage.items()):
        out.sample("relay_cost_usd_total", round(sums["dollars"], 9), **_series(key))
    out.family("relay_unpriced_requests_total", "counter", "Requests of models missing from the price table.")
    for key, sums in _sorted(usage.items()):
        if sums["unpriced"]:
            out.sample("relay_unpriced_requests_total", sums["unpriced"], **_series(key))


def _latency(out, name, help_text, bounds, data):
    out.family(name, "histogram", help_text)
    for key, hist in _sorted(data.items()):
        out.histogram(name, bounds, hist, **_series(key))


QUOTA_GAUGES = (
    ("relay_quota_utilization_ratio", "Latest measured use of each rate-limit window (1 = full).",
     lambda w: None if w.get("utilization_pct") is None else w["utilization_pct"] / 100),
    ("relay_quota_reset_timestamp_seconds", "When each measured window resets (epoch seconds).",
     lambda w: w.get("reset_ts")),
    ("relay_quota_measured_timestamp_seconds", "When each window was last measured (epoch seconds).",
     lambda w: w.get("measured_ts")),
)


def _quota(out, tally, rows, rejections):
    # Each user's own subscription: the windows of the newest rows that user's relay measured.
    by_user = {}
    for row in rows:
        by_user.setdefault(tally.labels.fold(("", row["user"] or "", "", ""))[1], []).append(row)
    windows = [(user, provider, w) for user, mine in sorted(by_user.items())
               for provider, parse in (("anthropic", parse_anthropic), ("codex", parse_codex), ("gemini", parse_gemini))
               for w in (parse(mine) or {}).get("windows", [])]
    for name, help_text, pick in QUOTA_GAUGES:
        out.family(name, "gauge", help_text)
        for user, provider, w in windows:
            value = pick(w)
            if value is not None:
                out.sample(name, value, provider=provider, user=user, window=w["name"])
    out.family("relay_quota_rejections", "gauge", "429/529 responses in the last 24 h by cause.")
    for cause in ("quota", "overloaded", "other_429"):
        out.sample("relay_quota_rejections", rejections.get(cause, 0), cause=cause, window="24h")


OTLP_COUNTERS = (("relay_otlp_spans_exported_total", "spans_exported", "Spans the OTLP collector accepted."),
                 ("relay_otlp_spans_dropped_total", "spans_dropped",
                  "Spans dropped because the OTLP collector did not take them (down, refused, timed out)."),
                 ("relay_otlp_metric_exports_failed_total", "metric_exports_failed",
                  "Metric exports the OTLP collector did not take (their points are lost)."),
                 ("relay_otlp_exchanges_missed_total", "exchanges_missed",
                  "Times the exporter fell behind the proxy and missed exchanges."))


def _otlp(out, telemetry):
    if telemetry is None:   # otlp_endpoint not set: no families at all
        return
    stats = telemetry.stats.to_dict()
    for name, field, help_text in OTLP_COUNTERS:
        out.family(name, "counter", help_text)
        out.sample(name, stats[field])


def collect(ctx, tally, table, now=None):
    """The whole exposition for one app context, as text."""
    out = Exposition()
    totals = tally.update(ctx.store, table)
    out.family("relay_start_time_seconds", "gauge", "When this relay process started (epoch seconds).")
    out.sample("relay_start_time_seconds", round(ctx.started_at, 3))
    out.family("relay_requests_in_flight", "gauge", "Proxied requests not finished yet.")
    out.sample("relay_requests_in_flight", ctx.store.read(totals_queries.in_flight))
    _requests(out, totals["requests"])
    _tokens(out, totals["usage"])
    _cost(out, totals["usage"])
    _latency(out, "relay_request_duration_seconds", "Time from request to the last byte of the response.",
             LATENCY_BUCKETS, totals["hists"]["duration_ms"])
    _latency(out, "relay_request_ttfb_seconds", "Time from request to the first byte from upstream.",
             TTFB_BUCKETS, totals["hists"]["ttfb_ms"])
    _otlp(out, ctx.telemetry)
    with tally.lock:    # the label bound is shared with the counters
        rows = ctx.store.read(metrics_queries.ratelimit_rows)
        day = ctx.store.read(lambda c: metrics_queries.rejected_rows(c, (now or time.time()) - 86400))
        _quota(out, tally, rows, quota.split_rejections(day))
    return out.text()


@bp.get("/metrics")
@offloaded("the metrics")
def metrics():
    app = current_app
    tally = app.extensions.setdefault("relay_metrics_tally", Tally())
    text = collect(app.extensions["relay"], tally, prices.load(), now=time.time())
    return Response(text, mimetype=None, content_type=CONTENT_TYPE)
