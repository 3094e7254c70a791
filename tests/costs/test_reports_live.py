"""`relay report blocks --live`, `relay quota --plan`, and the zone and locale helpers under them."""
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from relay import times
from relay.costs import quota
from relay.present import format as fmt
from relay.present import reports as view
from relay.tui import blocks as live_view
from tests.costs.report_sessions import SONNET, assistant, usage, user, write
from tests.relay_process import ROOT

# On SQLite, then on PostgreSQL (tests/conftest.py `backend`): the relay and `relay` commands it starts too.
pytestmark = pytest.mark.usefixtures("backend")


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def busy_session(now, messages=3, tokens=10_000):
    """A session whose messages are in the last half hour: an active block."""
    lines = []
    for i in range(messages):
        ts = now - 1800 + 600 * i
        lines += [user(iso(ts - 5)), assistant(f"m{i}", f"r{i}", iso(ts), SONNET, usage=usage(tokens, tokens // 10))]
    write("busy", lines)


def relay(*args, **kw):
    return subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, **kw)


def test_blocks_live_renders_frames_and_stops():
    busy_session(time.time())
    done = relay("report", "blocks", "--live", "--frames", "2", "--refresh", "0.2", "--provider", "claude")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "relay report blocks --live" in out and "burn rate" in out and "tokens/min" in out
    assert "projected" in out and "quota" in out and "not measured" in out
    assert "Traceback" not in done.stderr


def test_blocks_live_ends_cleanly_on_ctrl_c():
    busy_session(time.time())
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(ROOT / "relay.py"), "report", "blocks", "--live", "--refresh", "0.3",
                             "--provider", "claude"], stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
                            env=dict(os.environ, COLUMNS="100", TERM="xterm"))
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"Ctrl-C to quit" not in seen and time.monotonic() < deadline:
            if select.select([leader], [], [], 1)[0]:
                seen += os.read(leader, 65536)
        assert b"Ctrl-C to quit" in seen, seen[-500:]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        while select.select([leader], [], [], 0.5)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)
    assert b"Traceback" not in seen and b"KeyboardInterrupt" not in seen


def test_live_view_projects_measured_quota_to_its_reset():
    now = 1_795_000_000.0
    block = {"id": "b", "startTime": iso(now - 3600), "endTime": iso(now + 4 * 3600), "actualEndTime": iso(now - 60),
             "isActive": True, "isGap": False, "entries": 3, "totalTokens": 33_000, "costUSD": 0.5, "models": [SONNET],
             "burnRate": {"tokensPerMinute": 600.0, "costPerHour": 0.6},
             "projection": {"totalTokens": 180_000, "totalCost": 2.9, "remainingMinutes": 240}}
    payload = {"blocks": [block], "relay": {"unpricedModels": [], "pricesDate": "x"}}
    # measured 20 % an hour ago and 40 % now: 20 %/h, so 100 % in 3 h, before the reset in 4 h (120 %)
    windows = [{"family": "anthropic", "name": "5h", "used_pct": 40.0, "next_reset": now + 4 * 3600,
                "projection": {"from_ts": now, "from_pct": 40.0, "ts": now + 4 * 3600, "pct": 120.0}}]
    live = view.live_block(payload, windows, now)
    (w,) = live["quota"]
    assert w["projected_pct"] == 120.0 and w["runs_out_ts"] == pytest.approx(now + 3 * 3600)
    assert live["block"]["elapsed_pct"] == 20.0 and live["block"]["remaining_s"] == 4 * 3600
    console = Console(width=120, record=True, file=open(os.devnull, "w"))
    console.print(live_view.render(live, ZoneInfo("UTC")))
    text = console.export_text()
    assert "anthropic 5h" in text and "40.0% now, 120.0% at reset, 100% in 3 h" in text and "resets in 4 h" in text
    assert "600 tokens/min, $0.60/h" in text


def test_quota_plan_is_an_estimate_with_time_to_limits():
    now = time.time()
    busy_session(now, messages=3, tokens=10_000)     # 33,000 in+out tokens over 20 minutes of activity
    done = relay("quota", "--plan", "pro", "--format", "json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["source"] == "estimated" and plan["plan"] == "pro" and "estimate" in plan["note"]
    assert plan["limits"] == quota.PLANS["pro"]
    tokens = plan["window"]["measures"]["tokens"]
    assert tokens["used"] == 33_000 and tokens["pct"] == pytest.approx(75.0)
    # 33,000 tokens in 20 min -> 1,650/min; the 11,000 left run out in 6.7 min, before the block ends
    assert tokens["runs_out_ts"] == pytest.approx(now + 11_000 / 1650 * 60, abs=5)
    assert plan["window"]["measures"]["messages"]["used"] == 3
    plain = relay("quota", "--plan", "max20").stdout
    assert "ESTIMATE for plan max20" in plain and "(estimated)" in plain and "Claude-Code-Usage-Monitor" in plain
    bad = relay("quota", "--plan", "nope")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_offset_pieces_place_every_instant_by_its_own_offset():
    ny = ZoneInfo("America/New_York")
    lo = datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp()
    hi = datetime(2027, 4, 1, tzinfo=timezone.utc).timestamp()
    pieces = times.offset_pieces(ny, lo, hi)
    assert [(times.iso(start), offset) for start, offset in pieces] == [
        ("2026-10-01T00:00:00Z", -4 * 3600), ("2026-11-01T06:00:00Z", -5 * 3600), ("2027-03-14T07:00:00Z", -4 * 3600)]
    assert times.offset_pieces(ZoneInfo("UTC"), lo, hi) == [(int(lo), 0)]
    assert times.week_start("2026-11-04") == "2026-11-01" and times.week_start("2026-11-04", "monday") == "2026-11-02"
    assert times.parse_since("20261101", tz=ny).isoformat() == "2026-11-01T04:00:00+00:00"
    assert times.parse_since("2026-11-01", tz=ny, end=True).isoformat() == "2026-11-02T05:00:00+00:00"


def test_locale_formats_numbers_and_dates():
    assert fmt.number(1234567, "de-DE") == "1.234.567" and fmt.money(1234.5, "de") == "$1.234,50"
    assert fmt.number(1234567) == "1,234,567" and fmt.calendar("2026-11-23", "en-US") == "11/23/2026"
    assert fmt.calendar("2026-11-23", "de-DE") == "23.11.2026" and fmt.calendar("2026-11-23") == "2026-11-23"
    assert fmt.calendar("2026-11-23", "ja-JP") == "2026-11-23"


def test_cost_and_scan_take_the_same_since_and_until_forms():
    from tests.costs.report_sessions import session_a, session_b
    write("sess-a", session_a())          # 11-20 and 11-21
    write("sess-b", session_b())          # starts 11-21 (a copy of msg-4), then 12-01
    days = json.loads(relay("cost", "--since", "20261120", "--until", "20261120", "--by", "day", "--format",
                            "json").stdout)
    assert [r["key"] for r in days["rows"]] == ["2026-11-20"] and days["until"] == "2026-11-21T00:00:00Z"
    iso = json.loads(relay("cost", "--since", "2026-11-20", "--until", "2026-11-21T00:00:00Z", "--by", "day",
                           "--format", "json").stdout)
    assert iso["rows"] == days["rows"]
    scanned = json.loads(relay("scan", "--since", "20261101", "--until", "2026-11-20", "--format", "json").stdout)
    assert [s["session_id"] for s in scanned["sessions"]] == ["sess-a"]
