"""Quota from stored rate-limit headers: parsing, the representative window, measured vs estimated,
and 429s split by cause; `relay quota` as a user runs it."""
import json
import subprocess
import sys

from relay.costs import quota
from tests.costs.rows import add
from tests.relay_process import ROOT

U = "anthropic-ratelimit-unified-"
NOW = 1_795_000_000.0          # 2026-11-18T11:06:40Z, a fixed "now" so windows are reproducible
HEADERS = {U + "status": "allowed", U + "representative-claim": "seven_day", U + "reset": "1795003600",
           U + "5h-utilization": "0.12", U + "5h-reset": "1795003600", U + "5h-status": "allowed",
           U + "7d-utilization": "0.875", U + "7d-reset": "1795500000", U + "7d-status": "allowed_warning",
           U + "7d-surpassed-threshold": "0.75", U + "fallback-percentage": "0.5", U + "fallback": "available",
           U + "overage-status": "rejected", U + "overage-disabled-reason": "org_level_disabled",
           U + "some-new-field": "x", "retry-after": "3"}


def row(headers, ts=NOW - 60, provider="anthropic"):
    return {"ts": ts, "provider": provider, "status": 200, "ratelimit": headers}


def test_parses_windows_and_flags_the_representative_one():
    parsed = quota.parse_anthropic([row(HEADERS)])
    assert [w["name"] for w in parsed["windows"]] == ["5h", "7d"]
    five, seven = parsed["windows"]
    assert (five["utilization_pct"], five["status"], five["representative"]) == (12.0, "allowed", False)
    assert five["reset"] == "2026-11-18T12:06:40Z" and five["reset_ts"] == 1795003600
    assert (seven["utilization_pct"], seven["status"], seven["representative"]) == (87.5, "allowed_warning", True)
    assert seven["surpassed_threshold"] == "0.75"
    assert parsed["representative_window"] == "7d" and parsed["status"] == "allowed"
    assert parsed["measured_at"] == quota.iso(NOW - 60)
    assert parsed["fallback"] == {"percentage_pct": 50.0, "value": "available"}
    assert parsed["overage"] == {"status": "rejected", "disabled_reason": "org_level_disabled"}
    # unknown suffixes are not dropped: the raw family stays next to the parsed values
    assert parsed["raw"][U + "some-new-field"] == "x" and "retry-after" not in parsed["raw"]
    assert parsed["problems"] == []


def test_garbled_and_missing_values_become_none_and_problems():
    parsed = quota.parse_anthropic([row({U + "5h-utilization": "lots", U + "5h-reset": "soon",
                                         U + "7d-utilization": "0.3"})])
    five, seven = parsed["windows"]
    assert five["utilization_pct"] is None and five["reset"] is None and five["status"] is None
    assert seven["utilization_pct"] == 30.0 and seven["reset"] is None
    assert parsed["status"] is None and parsed["representative_window"] is None
    assert not any(w["representative"] for w in parsed["windows"])
    assert len(parsed["problems"]) == 2 and "'lots'" in parsed["problems"][0]
    assert quota.parse_anthropic([row({"retry-after": "3"})]) is None


def test_each_window_comes_from_the_newest_row_that_reported_it():
    # the newest row is a 429 carrying only the status; utilization comes from the row before
    newest = row({U + "status": "rejected", "retry-after": "17"}, ts=NOW - 10)
    older = row({U + "status": "allowed", U + "5h-utilization": "0.99"}, ts=NOW - 100)
    parsed = quota.parse_anthropic([newest, older])
    assert parsed["status"] == "rejected" and parsed["measured_at"] == quota.iso(NOW - 10)
    assert parsed["windows"][0]["utilization_pct"] == 99.0
    assert parsed["windows"][0]["measured_at"] == quota.iso(NOW - 100)


def test_codex_windows_when_present():
    parsed = quota.parse_codex([row({"x-codex-primary-used-percent": "42", "x-codex-primary-window-minutes": "300",
                                     "x-codex-primary-reset-after-seconds": "600",
                                     "x-codex-secondary-used-percent": "7.5",
                                     "x-codex-secondary-reset-at": "1795500000"}, provider="openai")])
    primary, secondary = parsed["windows"]
    assert (primary["utilization_pct"], primary["window_minutes"], primary["reset_ts"]) == (42.0, 300.0, NOW - 60 + 600)
    assert (secondary["utilization_pct"], secondary["reset"]) == (7.5, "2026-11-24T06:00:00Z")
    assert quota.parse_codex([row(HEADERS)]) is None


def test_estimated_blocks_are_floored_to_the_utc_hour():
    hour = 1_794_996_000.0                      # 2026-11-18T10:00:00Z, a whole hour
    assert hour % 3600 == 0
    blocks = quota.estimate_blocks([hour + 1500, hour + 3 * 3600, hour + 5 * 3600 + 10, hour + 5 * 3600 + 20])
    assert blocks == [(hour, hour + 5 * 3600), (hour + 5 * 3600, hour + 10 * 3600)]
    est = quota.estimate([hour + 1500], ["2026-11-18T12:30:00+03:00", "garbage"], now=hour + 7200)
    assert est["source"] == "estimated" and "estimated" in est["note"]
    # 12:30+03:00 is 09:30Z: the block starts at 09:00Z, whatever the zone the file was written in
    assert est["window"]["start"] == "2026-11-18T09:00:00Z" and est["window"]["reset"] == "2026-11-18T14:00:00Z"
    assert est["activity_points"] == 2
    assert quota.estimate([], [], now=hour)["window"] is None


def test_report_is_estimated_until_headers_are_measured(store):
    add(store, NOW - 1800, session_id="s1")
    est = store.read(lambda c: quota.report(c, now=NOW))
    assert est["source"] == "estimated" and est["anthropic"] is None
    assert est["estimate"]["window"]["start_ts"] == (NOW - 1800) - (NOW - 1800) % 3600
    add(store, NOW - 60, ratelimit=HEADERS)
    measured = store.read(lambda c: quota.report(c, now=NOW))
    assert measured["source"] == "measured" and measured["estimate"] is None
    assert measured["anthropic"]["windows"][1]["representative"] is True


def test_rejections_split_quota_from_overload(store):
    rejected = {U + "status": "rejected", "retry-after": "17"}
    add(store, NOW - 100, status=429, ratelimit=rejected, error="fake 429")              # quota
    add(store, NOW - 90, status=429, error="Number of requests has exceeded your rate limit")  # quota (error text)
    add(store, NOW - 80, status=529, ratelimit=rejected, error="Overloaded")             # overloaded, not quota
    add(store, NOW - 70, status=429, error="something else")                             # other 429
    add(store, NOW - 3 * 86400, status=429, ratelimit=rejected)                          # only in the 7d window
    add(store, NOW - 60, status=500, error="boom")                                       # not a rejection
    report = store.read(lambda c: quota.report(c, now=NOW))["rejections"]
    assert {k: report["24h"][k] for k in ("quota", "overloaded", "other_429")} == \
        {"quota": 2, "overloaded": 1, "other_429": 1}
    assert report["7d"]["quota"] == 3 and report["24h"]["last"]["overloaded"] == quota.iso(NOW - 80)


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_quota_command(store):
    import time
    add(store, time.time() - 30, ratelimit=HEADERS)
    store.close()
    shown = json.loads(run("quota", "--format", "json").stdout)
    assert shown["source"] == "measured" and shown["headline"]["name"] == "7d"
    assert shown["headline"]["utilization_pct"] == 87.5
    plain = run("quota").stdout
    assert "* anthropic 7d" in plain and "87.5%" in plain and "12.0%" in plain and "measured" in plain
    rich = run("quota", "--format", "rich")
    assert rich.returncode == 0 and "87.5%" in rich.stdout


def test_quota_command_without_data_says_estimated():
    done = run("quota")
    assert done.returncode == 0, done.stderr
    assert "ESTIMATED" in done.stdout and "429/529" in done.stdout
