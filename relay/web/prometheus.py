"""GET /metrics: Prometheus text exposition (format 0.0.4) over what the proxy recorded.

Families: requests by provider/status class/outcome, errors by outcome, tokens by kind, cost in
USD by model (and unpriced requests, never counted as $0), total and time-to-first-byte latency
histograms, in-flight requests, and quota gauges from the latest measured rate-limit headers.
Counters are totals over the database, so they survive relay restarts. They are tallied
incrementally by rowid (see relay.store.totals_queries): a scrape reads only the rows that
finished since the previous one, and prices them per (model, long-context) group in SQL.
"""
import threading
import time

from flask import Blueprint, Response, current_app

from relay.costs import prices, quota
from relay.costs.today import priced_groups
from relay.store import totals_queries
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


class Tally:
    """Every counter and histogram of the exposition, advanced batch by batch (see
    totals_queries.Batch): a scrape reads only the rows finished since the previous one. One per app."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rowid = 0
        self.pending = set()        # rowids that were in flight at the last read
        self.requests = {}          # (provider, status_class, outcome) -> n
        self.tokens = {}            # provider -> {usage field: n}
        self.hists = {"duration_ms": {}, "ttfb_ms": {}}
        self.dollars = {}
        self.unpriced = {}

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
        for r in totals_queries.requests_by_class(conn, batch):
            key = (r["provider"], r["status_class"], r["outcome"])
            self.requests[key] = self.requests.get(key, 0) + r["n"]
        for provider, sums in totals_queries.tokens_by_provider(conn, batch).items():
            mine = self.tokens.setdefault(provider, dict.fromkeys(sums, 0))
            for field, n in sums.items():
                mine[field] += n
        for column, bounds in (("duration_ms", LATENCY_BUCKETS), ("ttfb_ms", TTFB_BUCKETS)):
            ms = [b * 1000 for b in bounds]
            for provider, h in totals_queries.histogram(conn, column, ms, batch).items():
                mine = self.hists[column].setdefault(provider, {"count": 0, "sum": 0.0, "buckets": [0] * len(bounds)})
                mine["count"] += h["count"]
                mine["sum"] += h["sum"] / 1000
                mine["buckets"] = [a + b for a, b in zip(mine["buckets"], h["buckets"])]
        self._price(conn, table, batch)
        # Same snapshot as the queries above: the rows still open are exactly those they skipped.
        self.pending = batch.still_open(conn)
        self.rowid = batch.hi

    def _price(self, conn, table, batch):
        for g in priced_groups(conn, batch, table):
            model = g["model"] or "(unknown)"
            if g["cost"] is None:
                self.unpriced[model] = self.unpriced.get(model, 0) + g["requests"]
            else:
                self.dollars[model] = self.dollars.get(model, 0.0) + g["cost"]

    def snapshot(self):
        return {"requests": dict(self.requests), "tokens": {p: dict(t) for p, t in self.tokens.items()},
                "hists": {c: {p: dict(h) for p, h in hs.items()} for c, hs in self.hists.items()},
                "dollars": dict(self.dollars), "unpriced": dict(self.unpriced)}


def _requests(out, counts):
    out.family("relay_requests_total", "counter", "Finished proxied requests.")
    for (provider, status_class, outcome), n in sorted(counts.items(), key=lambda kv: tuple(map(str, kv[0]))):
        out.sample("relay_requests_total", n, provider=provider, status_class=status_class, outcome=outcome)
    out.family("relay_errors_total", "counter",
               "Finished requests that did not end ok (HTTP error, cut stream, unreachable).")
    errors = {}
    for (provider, _, outcome), n in counts.items():
        if outcome != "ok":
            errors[(provider, outcome)] = errors.get((provider, outcome), 0) + n
    for (provider, outcome), n in sorted(errors.items(), key=lambda kv: tuple(map(str, kv[0]))):
        out.sample("relay_errors_total", n, provider=provider, outcome=outcome)


def _tokens(out, by_provider):
    out.family("relay_tokens_total", "counter", "Tokens reported by upstream usage, by kind. "
               "cache_write_unsplit is cache creation without a 5m/1h split.")
    for provider, sums in sorted(by_provider.items()):
        for field, kind in TOKEN_KINDS.items():
            out.sample("relay_tokens_total", sums[field], provider=provider, kind=kind)
        split = sums["cache_creation_5m_input_tokens"] + sums["cache_creation_1h_input_tokens"]
        out.sample("relay_tokens_total", max(sums["cache_creation_input_tokens"] - split, 0),
                   provider=provider, kind="cache_write_unsplit")


def _cost(out, dollars, unpriced):
    out.family("relay_cost_usd_total", "counter", "Cost in US dollars from the price table, by model.")
    for model, value in sorted(dollars.items()):
        out.sample("relay_cost_usd_total", round(value, 9), model=model)
    out.family("relay_unpriced_requests_total", "counter", "Requests of models missing from the price table.")
    for model, n in sorted(unpriced.items()):
        out.sample("relay_unpriced_requests_total", n, model=model)


def _latency(out, name, help_text, bounds, data):
    out.family(name, "histogram", help_text)
    for provider, hist in sorted(data.items()):
        out.histogram(name, bounds, hist, provider=provider)


QUOTA_GAUGES = (
    ("relay_quota_utilization_ratio", "Latest measured use of each rate-limit window (1 = full).",
     lambda w: None if w.get("utilization_pct") is None else w["utilization_pct"] / 100),
    ("relay_quota_reset_timestamp_seconds", "When each measured window resets (epoch seconds).",
     lambda w: w.get("reset_ts")),
    ("relay_quota_measured_timestamp_seconds", "When each window was last measured (epoch seconds).",
     lambda w: w.get("measured_ts")),
)


def _quota(out, report):
    windows = [(provider, w) for provider in ("anthropic", "codex", "gemini")
               for w in (report.get(provider) or {}).get("windows", [])]
    for name, help_text, pick in QUOTA_GAUGES:
        out.family(name, "gauge", help_text)
        for provider, w in windows:
            value = pick(w)
            if value is not None:
                out.sample(name, value, provider=provider, window=w["name"])
    out.family("relay_quota_rejections", "gauge", "429/529 responses in the last 24 h by cause.")
    day = (report.get("rejections") or {}).get("24h") or {}
    for cause in ("quota", "overloaded", "other_429"):
        out.sample("relay_quota_rejections", day.get(cause, 0), cause=cause, window="24h")


def collect(ctx, tally, table, now=None):
    """The whole exposition for one app context, as text."""
    out = Exposition()
    totals = tally.update(ctx.store, table)
    out.family("relay_start_time_seconds", "gauge", "When this relay process started (epoch seconds).")
    out.sample("relay_start_time_seconds", round(ctx.started_at, 3))
    out.family("relay_requests_in_flight", "gauge", "Proxied requests not finished yet.")
    out.sample("relay_requests_in_flight", ctx.store.read(totals_queries.in_flight))
    _requests(out, totals["requests"])
    _tokens(out, totals["tokens"])
    _cost(out, totals["dollars"], totals["unpriced"])
    _latency(out, "relay_request_duration_seconds", "Time from request to the last byte of the response.",
             LATENCY_BUCKETS, totals["hists"]["duration_ms"])
    _latency(out, "relay_request_ttfb_seconds", "Time from request to the first byte from upstream.",
             TTFB_BUCKETS, totals["hists"]["ttfb_ms"])
    _quota(out, ctx.store.read(lambda c: quota.report(c, now=now)))
    return out.text()


@bp.get("/metrics")
@offloaded("the metrics")
def metrics():
    app = current_app
    tally = app.extensions.setdefault("relay_metrics_tally", Tally())
    text = collect(app.extensions["relay"], tally, prices.load(), now=time.time())
    return Response(text, mimetype=None, content_type=CONTENT_TYPE)
