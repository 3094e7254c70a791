"""The narrow per-1% cost (per_percent.report: headers extracted and rows priced in SQL) against
the row-by-row reference (per_percent.compute over every Exchange) on random rows with utilization
headers: repeated values, drops, resets, garbled values, unpriced and long-context models, rows
without headers."""
import random

import pytest

from relay.costs import per_percent, prices
from relay.models import Exchange, Usage
from relay.store import queries
from relay.store.writes import record_exchange_finish

U = "anthropic-ratelimit-unified-"
NOW = 1_795_000_000.0
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "mystery-model", None, "")


def _headers(rng, level):
    """Headers of one response; `level` ({window: percent}) walks up, mostly in place, sometimes down."""
    headers = {}
    for window, resets in (("5h", ("1795003600", "1795021600")), ("7d", ("1795600000",))):
        roll = rng.random()
        if roll < 0.1:
            continue                                              # this window not reported
        level[window] = max(0, level[window] + rng.choices((0, 1, 3, -20), weights=(60, 25, 12, 3))[0])
        util = rng.choice([f"{level[window] / 100:.2f}", f"{level[window] / 100}"])   # same value, other text
        if roll < 0.14:
            util = rng.choice(["n/a", "nan", ""])                 # garbled: not a measurement
        headers[f"{U}{window}-utilization"] = util
        if rng.random() < 0.97:
            headers[f"{U}{window}-reset"] = resets[0] if rng.random() < 0.98 else resets[-1]
    return headers


def _exchanges(rng, count):
    out, ts, level = [], NOW - per_percent.LOOKBACK_S - 3000, {"5h": 10, "7d": 30}
    for n in range(count):
        ts += rng.choice([0, 1, 7, 60, 2500])                     # ties order by rowid
        used = rng.random() < 0.8
        big = rng.random() < 0.1                                  # over the 200k long-context threshold
        read = rng.randint(150_000, 300_000) if big else rng.randint(0, 9000)
        usage = Usage(input_tokens=rng.randint(0, 5000) if used else 0,
                      output_tokens=rng.randint(0, 3000) if used else 0,
                      cache_read_input_tokens=read if used else 0,
                      cache_creation_input_tokens=rng.randint(0, 4000) if used else 0,
                      cache_creation_1h_input_tokens=rng.randint(0, 1000) if used else 0)
        model = rng.choices(MODELS, weights=(30, 30, 20, 4, 1, 1))[0]
        out.append(Exchange(id=f"r{n}", ts=ts, provider="anthropic" if rng.random() < 0.95 else "openai",
                            method="POST", path="/v1/messages", model=model, status=200, outcome="ok",
                            usage=usage, ratelimit=_headers(rng, level) if rng.random() < 0.85 else {}))
    return out, ts


@pytest.fixture
def store(backend_store):
    """These SQL reductions run on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend_store

@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sql_reduction_equals_row_by_row(store, seed):
    rng = random.Random(seed)
    rows, last = _exchanges(rng, 400)
    store.write(lambda conn: [record_exchange_finish(ex)(conn) for ex in rows])
    table, now = prices.load(), last + 10
    fast = store.read(lambda c: per_percent.report(c, table, now))
    exchanges = store.read(lambda c: queries.list_finished(c, since=now - per_percent.LOOKBACK_S, provider="anthropic"))
    assert fast == per_percent.compute(exchanges, table)      # the same float steps: exactly equal
    # the random rows exercise what the reduction must get right, so the comparison says something
    instances = [i for w in per_percent.WINDOWS for i in per_percent._instances(exchanges, w, table)]
    assert sum(i["skipped_intervals"] for i in instances) >= 3
    assert sum(i["points"] >= per_percent.MIN_POINTS for i in instances) >= 3
    assert sum(i["intervals"] > 5 for i in instances) >= 2
