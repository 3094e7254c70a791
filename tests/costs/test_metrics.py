"""Cache hit rate, TTL tier per session and error rates by class, with hand-computed numbers, and
the four endpoints through a real relay in front of the fake upstream."""
import time

import requests

from relay.costs import rates as metrics
from tests.costs.rows import add
from tests.proxy.conftest import messages_body, wait_rows

NOW = 1_795_000_000.0


def test_hit_rate_global_and_per_session(store):
    # s1: read 900, write 50 (split 5m), input 50 -> 900 / 1000 = 0.9
    add(store, NOW - 10, session_id="s1", input_tokens=30, cache_read_input_tokens=600,
        cache_creation_input_tokens=50, cache_creation_5m_input_tokens=50)
    add(store, NOW - 5, session_id="s1", input_tokens=20, cache_read_input_tokens=300)
    # s2: read 0, write 300 (1h), input 100 -> 0 / 400 = 0
    add(store, NOW - 20, session_id="s2", input_tokens=100, cache_creation_input_tokens=300,
        cache_creation_1h_input_tokens=300)
    data = store.read(metrics.cache)
    by = {s["session_id"]: s for s in data["sessions"]}
    assert by["s1"]["hit_rate"] == 0.9 and by["s1"]["requests"] == 2
    assert by["s2"]["hit_rate"] == 0.0 and by["s2"]["cache_creation_1h_tokens"] == 300
    # global: 900 / (900 + 350 + 150) = 0.642857...
    assert data["global"]["hit_rate"] == 0.6429 and data["global"]["cache_creation_tokens"] == 350
    assert [s["session_id"] for s in data["sessions"]] == ["s1", "s2"]     # most recent first


def test_hit_rate_is_none_without_prompt_tokens(store):
    assert store.read(metrics.cache)["global"]["hit_rate"] is None
    # a split without the lump still counts as cache creation: 100 / (100 + 100 + 0) = 0.5
    assert metrics.hit_rate({"input": 0, "cache_read": 100, "cache_creation": 0,
                             "cache_creation_5m": 40, "cache_creation_1h": 60}) == 0.5


def test_ttl_tier_per_session(store):
    add(store, NOW, session_id="hour", cache_creation_input_tokens=10, cache_creation_1h_input_tokens=10)
    add(store, NOW, session_id="five", cache_creation_input_tokens=10, cache_creation_5m_input_tokens=10)
    add(store, NOW, session_id="mixed", cache_creation_input_tokens=10, cache_creation_1h_input_tokens=10)
    add(store, NOW, session_id="mixed", cache_creation_input_tokens=5, cache_creation_5m_input_tokens=5)
    add(store, NOW, session_id="plain", input_tokens=10, cache_read_input_tokens=10)
    add(store, NOW, session_id="lump", cache_creation_input_tokens=10)
    data = store.read(metrics.ttl)
    tiers = {s["session_id"]: s["tier"] for s in data["sessions"]}
    assert tiers == {"hour": "1h", "five": "5m", "mixed": "mixed", "plain": "none", "lump": "unknown"}
    assert data["tiers"] == {"1h": 1, "5m": 1, "mixed": 1, "none": 1, "unknown": 1}


def test_error_rates_over_three_windows(store):
    add(store, NOW - 60, status=200)
    add(store, NOW - 120, status=429)
    add(store, NOW - 200, status=529)
    add(store, NOW - 1000, status=400)               # 1h and 24h only
    add(store, NOW - 1000, status=200)
    add(store, NOW - 7200, status=500)               # 24h only
    add(store, NOW - 2 * 86400, status=500)          # in no window
    add(store, NOW - 30, status=None, outcome="unreachable")
    data = store.read(lambda c: metrics.errors(c, now=NOW))
    assert data["5m"]["counts"] == {"2xx": 1, "4xx": 0, "429": 1, "5xx": 1, "other": 1}
    assert data["5m"]["requests"] == 4 and data["5m"]["rates"]["429"] == 0.25
    assert data["1h"]["counts"] == {"2xx": 2, "4xx": 1, "429": 1, "5xx": 1, "other": 1}
    assert data["24h"]["counts"]["5xx"] == 2 and data["24h"]["requests"] == 7
    assert data["24h"]["rates"]["5xx"] == round(2 / 7, 4)


def test_in_flight_rows_are_not_counted(store):
    from relay.models import Exchange
    from relay.store.writes import record_exchange_start
    store.write(record_exchange_start(Exchange(id="open", ts=time.time(), provider="anthropic", method="POST",
                                               path="/v1/messages", session_id="s", status=None)))
    assert store.read(metrics.errors)["5m"]["requests"] == 0
    assert store.read(metrics.cache)["global"]["requests"] == 0


def test_endpoints_through_a_real_relay(relay, upstream):
    url = f"{relay.url}/v1/messages"
    headers = {"content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01",
               "x-claude-code-session-id": "sess-metrics"}
    assert requests.post(url, data=messages_body(stream=False), headers=headers, timeout=10).status_code == 200
    for scenario in ("error-429", "error-529"):
        done = requests.post(url, data=messages_body(stream=False),
                             headers={**headers, "x-fake-scenario": scenario}, timeout=10)
        assert done.status_code == int(scenario[-3:])
    wait_rows(relay.url, 3)

    shown = requests.get(f"{relay.url}/api/v1/quota", timeout=5).json()
    assert shown["ok"] is True
    q = shown["quota"]
    assert q["source"] == "measured" and q["headline"]["name"] == "5h"
    five, seven = q["anthropic"]["windows"]
    assert (five["utilization_pct"], five["representative"], seven["utilization_pct"]) == (12.0, True, 34.0)
    assert q["anthropic"]["fallback"]["percentage_pct"] == 50.0
    assert {k: q["rejections"]["24h"][k] for k in ("quota", "overloaded", "other_429")} == \
        {"quota": 1, "overloaded": 1, "other_429": 0}

    cache = requests.get(f"{relay.url}/api/v1/cache", timeout=5).json()["cache"]
    # the fake upstream reports input 12, cache write 1500 (500 5m + 1000 1h), cache read 3000
    assert cache["global"]["hit_rate"] == round(3000 / (3000 + 1500 + 12), 4)
    ttl = requests.get(f"{relay.url}/api/v1/ttl", timeout=5).json()["ttl"]
    assert [(s["session_id"], s["tier"]) for s in ttl["sessions"]] == [("sess-metrics", "mixed")]
    assert next(s for s in cache["sessions"] if s["session_id"] == "sess-metrics")["requests"] == 3
    errors = requests.get(f"{relay.url}/api/v1/errors", timeout=5).json()["errors"]["windows"]
    assert errors["5m"]["counts"]["2xx"] == 1 and errors["5m"]["counts"]["429"] == 1
    assert errors["5m"]["counts"]["5xx"] == 1 and errors["5m"]["requests"] == 3
