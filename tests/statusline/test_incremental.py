"""What the status line reads from the database goes on from its last read: the totals and the
quota windows take only the rows that finished since (rows above a rowid mark, plus those then in
flight), and give what a full read of the database gives at every step."""
import random

import pytest

from relay import times
from relay.costs import prices
from relay.models import Exchange, Usage
from relay.present import statusline_reads
from relay.store import Store
from relay.store.writes import record_exchange_finish, record_exchange_start

U = "anthropic-ratelimit-unified-"
NOW = 1_790_000_000.0
TABLE = prices.load()


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "relay.db")
    yield store
    store.close()


def _claude(five, seven=None, reset=NOW + 3600):
    headers = {U + "status": "allowed", U + "5h-utilization": f"{five:.2f}", U + "5h-reset": str(int(reset))}
    if seven is not None:
        headers.update({U + "7d-utilization": f"{seven:.2f}", U + "7d-reset": str(int(reset + 86400))})
    return headers


def _codex(used):
    return {"x-codex-primary-used-percent": str(used), "x-codex-primary-window-minutes": "300",
            "x-codex-primary-reset-after-seconds": "600"}


def _exchange(n, ts, ratelimit, done=True, session="s1"):
    return Exchange(id=f"e{n}", ts=ts, provider="anthropic", method="POST", path="/v1/messages",
                    model="claude-sonnet-4-5", session_id=session, ratelimit=ratelimit,
                    status=200 if done else None, outcome="ok" if done else None,
                    usage=Usage(input_tokens=1000 + n, output_tokens=100) if done else Usage())


def _write(store, n, ts, ratelimit, done=True, session="s1"):
    ex = _exchange(n, ts, ratelimit, done, session)
    store.write(record_exchange_finish(ex) if done else record_exchange_start(ex))


def _measure(store, state=None, now=NOW, session="s1"):
    return statusline_reads.measure(store, session, TABLE, now, state)


def _same_as_a_full_read(store, state, now=NOW):
    """The incremental read from `state`, checked against a full read; returns its new state."""
    measured, new_state = _measure(store, state, now)
    full, _ = _measure(store, None, now)
    assert measured["windows"] == full["windows"]
    for scope in ("today", "session"):
        assert measured[scope]["requests"] == full[scope]["requests"]
        assert measured[scope]["cost"] == pytest.approx(full[scope]["cost"])
    return measured, new_state


def _pct(measured):
    return {f"{w['provider']}/{w['name']}": w["pct"] for ws in measured["windows"].values() for w in ws}


def test_a_row_finishing_out_of_order_is_counted_once(store):
    _write(store, 1, NOW - 100, _claude(0.10, 0.5), done=False)      # in flight at the first read
    _write(store, 2, NOW - 50, _claude(0.20, 0.5))
    measured, state = _same_as_a_full_read(store, None)
    assert measured["today"]["requests"] == 1 and _pct(measured) == {"claude/5h": 20.0, "claude/7d": 50.0}
    assert state["quota"]["pending"] == [1] and state["pending"] == [1]
    _write(store, 1, NOW - 100, _claude(0.10, 0.5))                  # finishes after the newer row
    measured, state = _same_as_a_full_read(store, state)
    assert measured["today"]["requests"] == 2
    assert _pct(measured)["claude/5h"] == 20.0                      # its older headers do not win
    assert state["quota"]["pending"] == [] and state["pending"] == []
    measured, state = _same_as_a_full_read(store, state)            # nothing new: counted once
    assert measured["today"]["requests"] == 2


def test_a_new_quota_header_updates_the_windows(store):
    _write(store, 1, NOW - 100, _claude(0.30, 0.4))
    measured, state = _same_as_a_full_read(store, None)
    assert _pct(measured) == {"claude/5h": 30.0, "claude/7d": 40.0}
    _write(store, 2, NOW - 50, _claude(0.35))                      # a response that reports 5h only
    _write(store, 3, NOW - 40, _codex(12))
    measured, state = _same_as_a_full_read(store, state)
    assert _pct(measured) == {"claude/5h": 35.0, "claude/7d": 40.0, "codex/5h": 12.0}
    assert measured["windows"]["claude"][1]["measured_ts"] == NOW - 100   # 7d: still from the first row
    assert set(state["quota"]["held"]) == {"claude/5h", "claude/7d", "codex/primary"}


def test_a_window_unreported_for_the_look_back_drops_out_as_in_a_full_read(store, monkeypatch):
    monkeypatch.setattr(statusline_reads, "QUOTA_ROWS", 3)
    _write(store, 1, NOW - 100, _codex(40))
    _write(store, 2, NOW - 90, _claude(0.1))
    measured, state = _same_as_a_full_read(store, None)
    assert "codex/5h" in _pct(measured)
    for n in (3, 4):                                               # the third newer row pushes it out
        _write(store, n, NOW - 90 + n, _claude(0.1 * n))
        measured, state = _same_as_a_full_read(store, state)
    assert "codex/5h" not in _pct(measured) and _pct(measured)["claude/5h"] == 40.0


def test_a_new_day_reads_the_day_whole_and_keeps_the_windows(store):
    day = times.start_of_day(NOW)
    _write(store, 1, day - 600, _claude(0.5, 0.6))                  # yesterday
    measured, state = _same_as_a_full_read(store, None, now=day - 60)
    assert measured["today"]["requests"] == 1
    _write(store, 2, day + 60, {})                                  # today, no quota headers
    measured, state = _same_as_a_full_read(store, state, now=day + 120)
    assert state["since"] == state["quota"]["since"] == day
    assert measured["today"]["requests"] == 1 and measured["session"]["requests"] == 2
    assert _pct(measured) == {"claude/5h": 50.0, "claude/7d": 60.0}


def test_any_sequence_of_rows_reads_as_a_full_read(store, monkeypatch):
    # rows of both CLIs, some in flight and finishing later (out of order), some without headers
    monkeypatch.setattr(statusline_reads, "QUOTA_ROWS", 5)
    rnd = random.Random(19)
    state, in_flight, n = None, {}, 0
    for _ in range(60):
        for _ in range(rnd.randint(1, 3)):
            n += 1
            headers = rnd.choice([_claude(rnd.random(), rnd.choice([None, rnd.random()])), _codex(rnd.randint(0, 99)),
                                  {}])
            ts = NOW - 500 + n * 5 + rnd.choice([0, 0, -40])             # now and then an older start
            done = rnd.random() > 0.25
            _write(store, n, ts, headers, done)
            if not done:
                in_flight[n] = (ts, headers)
        for m in [m for m in in_flight if rnd.random() < 0.4]:
            _write(store, m, *in_flight.pop(m))
        _, state = _same_as_a_full_read(store, state)
