"""The dashboard's cost of the day from one SQL aggregate equals relay.costs.cost.report's
row-by-row pricing of the same proxy rows: per model, in total, and in the unpriced list."""
import random

import pytest

from relay.costs import cost, prices, today
from relay.models import Exchange, Usage
from relay.present import costs as costs_view
from relay.store.writes import record_exchange_finish

SINCE = 1_795_000_000.0
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "claude-sonnet-4", "claude-haiku-4-5", "gpt-5",
          "gemini-2.5-pro", "mystery-model", None)


def _usage(rng):
    """Small prompts and long-context ones (over 200k), cache writes with a full, partial, absent
    or oversized 5m/1h split, and now and then a row with no tokens at all."""
    if rng.random() < 0.05:
        return Usage()
    lump = rng.choice((0, rng.randrange(1, 5000), rng.randrange(100_000, 250_000)))
    five = rng.choice((0, lump // 3, lump, lump + 700))          # lump + 700: a split larger than the lump
    hour = rng.choice((0, lump - min(lump, five), lump // 2))
    return Usage(input_tokens=rng.randrange(0, 120_000), output_tokens=rng.randrange(0, 8000),
                 cache_creation_input_tokens=lump, cache_creation_5m_input_tokens=five,
                 cache_creation_1h_input_tokens=hour,
                 cache_read_input_tokens=rng.choice((0, rng.randrange(0, 150_000))),
                 reasoning_tokens=rng.choice((0, 0, rng.randrange(1, 900))))


def _fill(store, rng, count):
    def write(conn):
        for n in range(count):
            # some rows repeat a message id (only the first counts), some started before the day
            message_id = rng.choice((None, "", f"msg-{n}", f"msg-{rng.randrange(0, 20)}"))
            ts = SINCE + rng.uniform(-3600, 86_000) if rng.random() > 0.1 else SINCE - rng.uniform(1, 9000)
            ex = Exchange(id=f"r{n}", ts=ts, provider="anthropic", method="POST", path="/v1/messages",
                          model=rng.choice(MODELS), session_id=f"s{n % 7}", message_id=message_id, status=200,
                          usage=_usage(rng), outcome=rng.choice(("ok", "ok", "ok", "upstream_error", None)))
            record_exchange_finish(ex)(conn)
    store.write(write)


@pytest.fixture
def store(backend_store):
    """These SQL reductions run on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend_store

def test_sql_totals_equal_the_row_by_row_report(store):
    rng = random.Random(20261123)
    _fill(store, rng, 600)
    table = prices.load()
    slow = cost.report(store, table, since=SINCE, by="model", files=False)
    fast = today.today_by_model(store, table, SINCE)

    assert slow["total"]["long_context_requests"] > 0 and slow["total"]["estimated_ttl_requests"] > 0
    assert slow["sources"]["deduplicated"] > 0
    assert [(r["key"], r["requests"]) for r in fast["rows"]] == [(r["key"], r["requests"]) for r in slow["rows"]]
    for mine, theirs in zip(fast["rows"], slow["rows"]):
        assert (mine["cost"] is None) == (theirs["cost"] is None)
        if mine["cost"] is not None:
            assert abs(mine["cost"] - theirs["cost"]) < 1e-9
    assert abs(fast["total"]["cost"] - slow["total"]["cost"]) < 1e-9
    assert fast["unpriced"] == [{"model": u["model"], "requests": u["requests"]} for u in slow["unpriced"]]
    # what the dashboard shows (rounded to a millionth) is identical
    shaped = [costs_view.summary_of({"requests_today": 0, "in_flight": 0}, c, {}, {"global": {"hit_rate": None}})
              for c in (fast, slow)]
    assert shaped[0] == shaped[1]


def test_nothing_today_costs_zero_and_only_unpriced_costs_none(store):
    table = prices.load()
    assert today.today_by_model(store, table, SINCE)["total"]["cost"] == 0.0
    store.write(record_exchange_finish(Exchange(id="u1", ts=SINCE + 5, provider="anthropic", method="POST",
                                                path="/v1/messages", model="mystery-model", status=200,
                                                usage=Usage(input_tokens=10), outcome="ok")))
    fast = today.today_by_model(store, table, SINCE)
    assert fast["total"]["cost"] is None and fast["rows"] == [{"key": "mystery-model", "requests": 1, "cost": None}]
    assert fast["total"]["cost"] == cost.report(store, table, since=SINCE, files=False)["total"]["cost"]
