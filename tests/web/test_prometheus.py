"""GET /metrics: Prometheus text read back with a strict parser, on a real relay behind a fake
upstream and over a store filled with rows of known latency, status and usage."""
import time

import pytest
import requests

from relay.costs import prices
from relay.models import Exchange, Usage
from relay.present.context import Context
from relay.store import writes
from relay.store.writes import record_exchange_finish, record_exchange_start
from relay.web import prometheus
from relay.web.prometheus import Tally, collect
from tests.fake_upstream import RESET_EPOCH
from tests.proxy.conftest import messages_body, wait_rows
from tests.web import promtext

HEADERS = {"content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01"}


def test_metrics_of_a_real_relay(relay, upstream):
    for stream in (False, True):
        requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=stream), headers=HEADERS, timeout=10)
    wait_rows(relay.url, 2)
    response = requests.get(f"{relay.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = promtext.parse(response.text)
    assert families["relay_requests_total"]["type"] == "counter"
    assert promtext.value(families, "relay_requests_total", provider="anthropic", status_class="2xx", outcome="ok") == 2
    # fake upstream usage per request: 12 input, 7 output, 500 5m + 1000 1h writes, 3000 reads
    tokens = {kind: promtext.value(families, "relay_tokens_total", provider="anthropic", kind=kind)
              for kind in ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read", "cache_write_unsplit")}
    assert tokens == {"input": 24, "output": 14, "cache_write_5m": 1000, "cache_write_1h": 2000, "cache_read": 6000,
                      "cache_write_unsplit": 0}
    # 4 / 20 / 5 / 8 / 0.2 per MTok
    assert promtext.value(families, "relay_cost_usd_total", model="claude-opus-5-5") == pytest.approx(2 * 0.011288)
    assert promtext.value(families, "relay_request_duration_seconds_count", provider="anthropic") == 2
    assert promtext.value(families, "relay_request_ttfb_seconds_bucket", provider="anthropic", le="+Inf") == 2
    assert promtext.value(families, "relay_quota_utilization_ratio", provider="anthropic", window="5h") == 0.12
    assert promtext.value(families, "relay_quota_reset_timestamp_seconds", provider="anthropic", window="7d") \
        == RESET_EPOCH + 86400
    assert families["relay_errors_total"]["samples"] == []
    assert promtext.value(families, "relay_requests_in_flight") == 0


def _row(store, n, ts, status=200, duration_ms=None, ttfb_ms=None, model="claude-opus-4-6", outcome="ok", cli=None,
         ratelimit=None, **usage):
    ex = Exchange(id=f"m-{n}", ts=ts, provider="anthropic", method="POST", path="/v1/messages", model=model,
                  status=status, usage=Usage(**usage), outcome=outcome, duration_ms=duration_ms, ttfb_ms=ttfb_ms,
                  cli=cli, ratelimit=ratelimit or {})
    store.write(record_exchange_finish(ex) if outcome else record_exchange_start(ex))
    return ex


def _scrape(store, tally, now):
    return promtext.parse(collect(Context(None, store, None, None, None, 1000.5), tally, prices.load(), now=now))


def test_histogram_buckets_errors_and_incremental_cost(store):
    now = time.time()
    _row(store, 1, now - 50, duration_ms=30, ttfb_ms=20, input_tokens=100_000)          # $0.50 at opus-4-6 input
    _row(store, 2, now - 40, duration_ms=700, ttfb_ms=90, output_tokens=1000)
    _row(store, 3, now - 30, status=529, duration_ms=4000, ttfb_ms=4000, outcome="upstream_error")
    _row(store, 4, now - 20, outcome=None, input_tokens=5)                                 # still streaming
    _row(store, 5, now - 10, duration_ms=100, model="mystery-model", input_tokens=10)
    tally = Tally()
    families = _scrape(store, tally, now)
    bucket = {le: promtext.total(families, "relay_request_duration_seconds_bucket", provider="anthropic", le=le)
              for le in ("0.05", "0.1", "0.5", "1", "5", "+Inf")}
    assert bucket == {"0.05": 1, "0.1": 2, "0.5": 2, "1": 3, "5": 4, "+Inf": 4}
    assert promtext.total(families, "relay_request_duration_seconds_sum", provider="anthropic") == pytest.approx(4.83)
    assert promtext.total(families, "relay_request_ttfb_seconds_bucket", provider="anthropic", le="0.1") == 2
    assert promtext.value(families, "relay_requests_total", status_class="5xx", outcome="upstream_error") == 1
    assert promtext.value(families, "relay_errors_total", provider="anthropic", outcome="upstream_error") == 1
    assert promtext.value(families, "relay_requests_in_flight") == 1
    assert promtext.value(families, "relay_start_time_seconds") == 1000.5
    # the open row 4 is left out until it finishes; row 5 after it is not held back
    first = promtext.value(families, "relay_cost_usd_total", model="claude-opus-4-6")
    assert first == pytest.approx(0.5 + 1000 * 25 / 1e6)
    assert promtext.value(families, "relay_unpriced_requests_total", model="mystery-model") == 1
    assert promtext.total(families, "relay_tokens_total", provider="anthropic", kind="input") == 100_010

    _row(store, 4, now - 20, duration_ms=200, input_tokens=100_000)                        # row 4 finishes
    families = _scrape(store, tally, now)
    assert promtext.value(families, "relay_cost_usd_total", model="claude-opus-4-6") == pytest.approx(first + 0.5)
    assert promtext.value(families, "relay_unpriced_requests_total", model="mystery-model") == 1, "counted once"
    assert promtext.total(families, "relay_tokens_total", provider="anthropic", kind="input") == 200_010
    assert promtext.total(families, "relay_request_duration_seconds_count", provider="anthropic") == 5
    assert promtext.value(families, "relay_requests_in_flight") == 0
    _row(store, 6, now - 5, duration_ms=100, input_tokens=1)
    families = _scrape(store, tally, now)
    assert promtext.total(families, "relay_request_duration_seconds_count", provider="anthropic") == 6


def test_label_values_are_escaped(store):
    _row(store, 1, time.time(), duration_ms=1, model='odd "model"\\x\nnext', input_tokens=1)
    text = collect(Context(None, store, None, None, None, 0.0), Tally(), prices.load())
    assert 'model="odd \\"model\\"\\\\x\\nnext"' in text
    assert promtext.value(promtext.parse(text), "relay_unpriced_requests_total", model='odd "model"\\x\nnext') == 1


def test_empty_database_is_valid_exposition(store):
    families = _scrape(store, Tally(), time.time())
    assert promtext.value(families, "relay_requests_in_flight") == 0
    assert families["relay_request_duration_seconds"]["type"] == "histogram"
    assert families["relay_quota_rejections"]["samples"][0][2] == 0


def test_sql_priced_tally_matches_per_request_cost(store):
    """The tally prices (model, long-context) groups in SQL; it must equal pricing each request
    on its own (relay.costs.cost), including long prompts, unsplit cache writes and unknown models."""
    import random

    from relay.costs import cost as costs
    from relay.costs import sources
    rng = random.Random(7)
    now = time.time()
    for n in range(300):
        lump = rng.choice([0, 0, 5000, 120_000])
        five = rng.choice([0, lump // 3, lump])
        _row(store, n, now - 1000 + n, duration_ms=10,
             model=rng.choice(["claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5-codex", "mystery"]),
             input_tokens=rng.choice([3, 40_000, 150_000]), output_tokens=rng.randrange(0, 4000),
             cache_read_input_tokens=rng.choice([0, 60_000, 190_000]), cache_creation_input_tokens=lump,
             cache_creation_5m_input_tokens=five, cache_creation_1h_input_tokens=rng.choice([0, lump - five]))
    expected = costs.summarize(sources.proxy_items(store), prices.load(), by="model")
    families = _scrape(store, Tally(), now)
    for group in expected["rows"]:
        if group["cost"] is None:
            assert promtext.value(families, "relay_unpriced_requests_total", model=group["key"]) == group["requests"]
        else:
            assert promtext.value(families, "relay_cost_usd_total", model=group["key"]) == pytest.approx(group["cost"])
    assert any(g["long_context_requests"] for g in expected["rows"]), "the data must exercise long-context pricing"


def _as(monkeypatch, user):
    monkeypatch.setattr(writes, "ORIGIN", ("host-a", user))


def test_series_per_user_client_and_model_with_a_bound(store, monkeypatch):
    """Each counter and histogram is split by user, client and model; past the bound, later users
    and models fold into "other", decided by first appearance in the store, so a fresh tally (a
    restarted relay) gives the same series and values, and later scrapes only grow them."""
    now = time.time()
    _as(monkeypatch, "ana")
    _row(store, 1, now - 60, duration_ms=100, ttfb_ms=50, cli="claude", input_tokens=1000, output_tokens=10)
    _row(store, 2, now - 59, duration_ms=100, cli="codex", model="gpt-5-codex", input_tokens=2000)
    _as(monkeypatch, "bo")
    _row(store, 3, now - 58, status=529, duration_ms=900, cli="claude", outcome="upstream_error")
    _row(store, 4, now - 57, duration_ms=100, cli="gemini", model="gemini-2.5-pro", cache_read_input_tokens=70)
    _as(monkeypatch, "cy")                                        # past the bound of 2 users
    _row(store, 5, now - 56, duration_ms=100, cli="claude", model="claude-sonnet-4-5", input_tokens=5)  # 4th model
    _row(store, 6, now - 55, duration_ms=100, cli="weird-cli", input_tokens=6)

    def scrape():
        labels = prometheus.Labels(max_users=2, max_models=3)
        return promtext.parse(collect(Context(None, store, None, None, None, 0.0), prometheus.Tally(labels),
                                      prices.load(), now=now))

    families = scrape()
    tokens = {(lb["user"], lb["client"], lb["model"]): v for n, lb, v in families["relay_tokens_total"]["samples"]
              if lb["kind"] == "input"}
    assert tokens == {("ana", "claude", "claude-opus-4-6"): 1000, ("ana", "codex", "gpt-5-codex"): 2000,
                      ("bo", "claude", "claude-opus-4-6"): 0, ("bo", "gemini", "gemini-2.5-pro"): 0,
                      ("other", "claude", "other"): 5, ("other", "other", "claude-opus-4-6"): 6}
    assert promtext.value(families, "relay_errors_total", user="bo", client="claude", model="claude-opus-4-6",
                          status_class="5xx", outcome="upstream_error") == 1
    assert promtext.value(families, "relay_request_ttfb_seconds_count", user="ana", client="claude") == 1
    assert promtext.value(families, "relay_cost_usd_total", user="ana", client="codex") == pytest.approx(
        prices.load().lookup("gpt-5-codex").base.input * 2000 / 1e6)
    for family in families.values():
        for _, lb, _ in family["samples"]:
            assert "session" not in " ".join(lb)
            assert lb.get("user", "ana") in ("ana", "bo", "other")
    assert scrape() == families, "a restarted relay reads the same totals back from the store"


def test_quota_gauges_per_user(store, monkeypatch):
    now = time.time()
    for n, (user, used) in enumerate((("ana", "0.25"), ("bo", "0.75"))):
        _as(monkeypatch, user)
        unified = "anthropic-ratelimit-unified-"
        _row(store, n, now - 10 + n, duration_ms=5, input_tokens=1, ratelimit={
            unified + "5h-utilization": used, unified + "5h-reset": str(int(now) + 60),
            unified + "7d-utilization": "0.5", unified + "7d-reset": str(int(now) + 600)})
    families = _scrape(store, Tally(), now)
    assert promtext.value(families, "relay_quota_utilization_ratio", user="ana", window="5h") == 0.25
    assert promtext.value(families, "relay_quota_utilization_ratio", user="bo", window="5h") == 0.75
    assert promtext.value(families, "relay_quota_utilization_ratio", user="bo", window="7d") == 0.5
