"""Per-1% cost from measured utilization deltas, with hand-computed dollars (claude-opus-4-6:
$5 per M input, $25 per M output)."""
import pytest

from relay.costs import per_percent, prices, quota
from relay.models import Exchange, Usage
from tests.costs.rows import add

U = "anthropic-ratelimit-unified-"
NOW = 1_795_000_000.0


def rl(util5, reset="1795003600"):
    return {U + "5h-utilization": util5, U + "5h-reset": reset}


def test_dollars_per_percent_from_deltas_between_measurements(store):
    add(store, NOW - 500, ratelimit=rl("0.10"), input_tokens=100_000)      # $0.50
    add(store, NOW - 400, ratelimit=rl("0.11"), output_tokens=40_000)      # $1.00
    add(store, NOW - 300, ratelimit=rl("0.13"), input_tokens=100_000)      # $0.50
    add(store, NOW - 250, status=429, input_tokens=100_000)                # $0.50, no headers
    add(store, NOW - 200, ratelimit=rl("0.14"))
    # a new window instance (other reset): one point of movement only, too little to say anything
    add(store, NOW - 100, ratelimit=rl("0.01", "1795021600"), input_tokens=100_000)
    add(store, NOW - 50, ratelimit=rl("0.02", "1795021600"))
    result = store.read(lambda c: per_percent.report(c, prices.load(), NOW))
    five = result["5h"]
    # deltas 1 + 2 + 1 = 4 points; cost 0.50 + 1.00 + (0.50 + 0.50) = 2.50 -> $0.625 per point
    assert five["points"] == pytest.approx(4.0) and five["cost"] == pytest.approx(2.5)
    assert five["dollars_per_pct"] == pytest.approx(0.625) and five["instances_used"] == 1
    newest, older = five["windows"]
    assert newest["reset"] == "1795021600" and newest["dollars_per_pct"] is None
    assert newest["points"] == pytest.approx(1.0) and newest["cost"] == pytest.approx(0.5)
    assert older["intervals"] == 3 and older["exchanges"] == 4
    assert result["7d"]["dollars_per_pct"] is None and result["7d"]["windows"] == []


def _ex(ts, util, model="claude-opus-4-6", **usage):
    return Exchange(id=str(ts), ts=ts, provider="anthropic", method="POST", path="/v1/messages", model=model,
                    status=200, outcome="ok", usage=Usage(**usage), ratelimit=rl(util) if util else {})


def test_unpriced_intervals_and_drops_give_no_wrong_value():
    table = prices.load()
    exchanges = [_ex(1, "0.10", input_tokens=100_000), _ex(2, "0.12", model="mystery", input_tokens=5),
                 _ex(3, "0.15", input_tokens=200_000), _ex(4, "0.16")]
    five = per_percent.compute(exchanges, table)["5h"]
    # 1->2: 2 points for $0.50; 2->3 holds an unpriced model and is skipped; 3->4: 1 point for $1.00
    assert five["windows"][0]["skipped_intervals"] == 1
    assert five["points"] == pytest.approx(3.0) and five["dollars_per_pct"] == pytest.approx(0.5)
    # utilization falling within the same reset means a reset we did not see: a new instance
    fell = per_percent.compute([_ex(1, "0.50", input_tokens=100_000), _ex(2, "0.10"), _ex(3, "0.11")], table)["5h"]
    assert len(fell["windows"]) == 2 and fell["dollars_per_pct"] is None


def test_quota_report_carries_per_percent(store):
    add(store, NOW - 500, ratelimit=rl("0.10"), input_tokens=100_000)
    add(store, NOW - 400, ratelimit=rl("0.12"))
    report = store.read(lambda c: quota.report(c, NOW))
    assert report["per_percent"]["5h"]["dollars_per_pct"] == pytest.approx(0.25)


def test_live_relay_reports_per_percent_in_the_quota_api(relay):
    import requests

    from tests.proxy.conftest import messages_body, wait_rows

    for util in ("0.10", "0.13", "0.15"):
        response = requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=True),
                                 headers={"content-type": "application/json", "x-api-key": "sk-test",
                                          "x-fake-utilization": f"5h={util}"}, timeout=10)
        assert response.status_code == 200
        wait_rows(relay.url, 1, predicate=lambda rows, u=util: any(
            r["ratelimit"].get(U + "5h-utilization") == u for r in rows))
    per = requests.get(f"{relay.url}/api/v1/quota", timeout=5).json()["quota"]["per_percent"]
    # 3 + 2 points, each interval holding one fake exchange of $0.011288 (see tests/guard/test_turns_api.py)
    assert per["5h"]["points"] == pytest.approx(5.0) and per["5h"]["cost"] == pytest.approx(0.022576)
    assert per["5h"]["dollars_per_pct"] == pytest.approx(0.0045152, abs=1e-6)   # shown to 6 places
    # 7d stayed at the fake's 0.34 throughout: no movement, no value
    assert per["7d"]["dollars_per_pct"] is None and "utilization deltas" in per["method"]
