"""`relay report` over hand-written session files; every expected number is worked out by hand.

Prices (USD per million): claude-haiku-4-5 input 1, output 5, 5m write 1.25, 1h write 2, read 0.1;
claude-sonnet-4-5 input 3, output 15.
  msg-1 (11-20 10:15, haiku, three lines): 1000 in, 2000 out, 1000 5m + 2000 1h, 10000 read
        = 1000 + 10000 + 1250 + 4000 + 1000 = 17250 -> $0.01725
  msg-2 (11-20 12:00, sonnet): 100 in, 1000 out = 300 + 15000 -> $0.0153
  msg-3 (11-20 18:30, haiku): 500 in, 100 out, lump 400 unsplit (5m rate) = 500 + 500 + 500 -> $0.0015
  msg-4 (11-21 01:00, sonnet): 1000 in -> $0.003   (also copied into sess-b: counted once)
  msg-5 (12-01 09:00, haiku, sess-b): 10000 in -> $0.01
"""
import json
import os
import subprocess
import sys

import pytest

from relay.costs import prices, reports
from relay.present import reports as reports_view
from tests.costs.report_sessions import session_a, session_b, write
from tests.relay_process import ROOT

# Every report on SQLite, then on PostgreSQL (tests/conftest.py `backend`; RELAY_DATABASE_URL
# reaches the `relay report` subprocesses too).
pytestmark = pytest.mark.usefixtures("backend")


def run(*args, tz="UTC"):
    # the hand-worked days are UTC days; the default zone is the machine's
    extra = ("--timezone", tz) if tz and args and not args[-1] == "--help" else ()
    done = subprocess.run([sys.executable, str(ROOT / "relay.py"), "report", *args, *extra], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return done.stdout


def report(kind):
    return json.loads(run(kind, "--json"))


def test_daily_json_matches_hand_totals_and_ccusage_names(backend, store):
    write("sess-a", session_a())
    write("sess-b", session_b())
    payload = report("daily")
    # the PostgreSQL run really indexed into PostgreSQL: no SQLite database in the data dir
    indexed = store.read(lambda c: c.execute("SELECT COUNT(*) FROM message_usage").fetchone()[0])
    assert indexed == 6 and (backend == "sqlite") == store.path.exists(), (backend, indexed)
    assert set(payload) == {"daily", "totals", "relay"}
    day1, day2, day3 = payload["daily"]
    assert set(day1) == {"date", "inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens",
                         "totalTokens", "totalCost", "modelsUsed", "modelBreakdowns"}
    assert (day1["date"], day1["inputTokens"], day1["outputTokens"], day1["cacheCreationTokens"],
            day1["cacheReadTokens"], day1["totalTokens"]) == ("2026-11-20", 1600, 3100, 3400, 10_000, 18_100)
    assert day1["totalCost"] == pytest.approx(0.03405)
    assert day1["modelsUsed"] == ["claude-haiku-4-5", "claude-sonnet-4-5"]
    haiku, sonnet = day1["modelBreakdowns"]
    assert set(haiku) == {"modelName", "inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "cost"}
    assert (haiku["modelName"], haiku["cost"]) == ("claude-haiku-4-5", pytest.approx(0.01875))
    assert (sonnet["modelName"], sonnet["cost"]) == ("claude-sonnet-4-5", pytest.approx(0.0153))
    assert (day2["date"], day2["inputTokens"], day2["totalCost"]) == ("2026-11-21", 1000, pytest.approx(0.003))
    assert (day3["date"], day3["totalCost"]) == ("2026-12-01", pytest.approx(0.01))
    assert payload["totals"] == {"inputTokens": 12_600, "outputTokens": 3100, "cacheCreationTokens": 3400,
                                 "cacheReadTokens": 10_000, "totalTokens": 29_100,
                                 "totalCost": pytest.approx(0.04705)}
    assert payload["relay"]["estimatedTtlTokens"] == 400 and payload["relay"]["cacheWrite1hTokens"] == 2000
    # --since/--until filter UTC days, ccusage's YYYYMMDD
    only = json.loads(run("daily", "--json", "--since", "20261121", "--until", "20261130"))
    assert [d["date"] for d in only["daily"]] == ["2026-11-21"]
    plain = run("daily", "--breakdown")
    assert "Cache Create" in plain and "└─ claude-haiku-4-5" in plain and "$0.05" in plain


def test_monthly_and_session_reports():
    write("sess-a", session_a())
    first = report("session")            # sess-a is indexed alone first: msg-4 is its own
    assert [s["sessionId"] for s in first["sessions"]] == ["sess-a"]
    write("sess-b", session_b())
    monthly = report("monthly")
    assert [(m["month"], round(m["totalCost"], 6)) for m in monthly["monthly"]] == [("2026-11", 0.03705),
                                                                                  ("2026-12", 0.01)]
    sessions = report("session")
    a, b = sessions["sessions"]
    assert set(a) == {"sessionId", "inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens",
                      "totalTokens", "totalCost", "lastActivity", "modelsUsed", "modelBreakdowns", "projectPath"}
    assert (a["sessionId"], a["lastActivity"], a["projectPath"], a["inputTokens"]) == (
        "sess-a", "2026-11-21", "/w/alpha", 2600)
    assert a["totalCost"] == pytest.approx(0.03705)
    assert (b["sessionId"], b["lastActivity"], b["inputTokens"], b["totalCost"]) == (
        "sess-b", "2026-12-01", 10_000, pytest.approx(0.01))
    assert sessions["totals"]["totalCost"] == pytest.approx(0.04705)


def test_removing_a_file_keeps_its_messages_copied_elsewhere():
    a = write("sess-a", session_a())
    report("session")
    write("sess-b", session_b())
    report("session")
    a.unlink()
    (b,) = report("session")["sessions"]
    # msg-4 now counts for sess-b, the file that still holds it: 1000 sonnet input + msg-5
    assert (b["sessionId"], b["inputTokens"], b["totalCost"]) == ("sess-b", 11_000, pytest.approx(0.013))


def test_blocks_are_five_hour_windows_with_gaps(store):
    write("sess-a", session_a())
    write("sess-b", session_b())
    reports.refresh(store, ("claude",))
    table = prices.load()
    payload = reports_view.usage_blocks(reports.blocks(store, table, ("claude",), now=2_000_000_000))
    got = [(b["id"], b["isGap"], b["entries"], round(b["costUSD"], 6)) for b in payload["blocks"]]
    assert got == [("2026-11-20T10:00:00.000Z", False, 2, 0.03255),     # msg-1, msg-2 (within 5 h)
                   ("gap-2026-11-20T17:00:00.000Z", True, 0, 0.0),       # 5 h after msg-2 until msg-3
                   ("2026-11-20T18:00:00.000Z", False, 1, 0.0015),
                   ("gap-2026-11-20T23:30:00.000Z", True, 0, 0.0),
                   ("2026-11-21T01:00:00.000Z", False, 1, 0.003),
                   ("gap-2026-11-21T06:00:00.000Z", True, 0, 0.0),
                   ("2026-12-01T09:00:00.000Z", False, 1, 0.01)]
    first = payload["blocks"][0]
    assert set(first) == {"id", "startTime", "endTime", "actualEndTime", "isActive", "isGap", "entries", "tokenCounts",
                          "totalTokens", "costUSD", "models", "burnRate", "projection"}
    assert first["endTime"] == "2026-11-20T15:00:00.000Z" and first["actualEndTime"] == "2026-11-20T12:00:00.000Z"
    assert first["tokenCounts"] == {"inputTokens": 1100, "outputTokens": 3000, "cacheCreationInputTokens": 3000,
                                    "cacheReadInputTokens": 10_000}
    assert first["models"] == ["claude-haiku-4-5", "claude-sonnet-4-5"] and not first["isActive"]
    assert first["burnRate"] is None and first["projection"] is None


def test_active_block_burn_rate_and_projection(store):
    write("sess-a", session_a())
    reports.refresh(store, ("claude",))
    # "now" is 11-20 13:00: the first block (10:00-15:00, last message 12:00) is active
    now = 1_795_179_600.0              # 2026-11-20T13:00:00Z
    result = reports.blocks(store, prices.load(), ("claude",), until_day="2026-11-20", now=now)
    block = reports_view.usage_blocks(result)["blocks"][0]
    assert block["isActive"]
    # 105 minutes from 10:15 to 12:00; every kind, as ccusage counts: 1100 in + 3000 out + 3000
    # cache writes + 10000 reads = 17100 tokens -> 162.857.../min (input + output alone would be
    # 4100); $0.03255 over 105 min -> $0.0186/h; 120 minutes remain until 15:00
    assert block["burnRate"]["tokensPerMinute"] == pytest.approx(17100 / 105)
    assert block["burnRate"]["costPerHour"] == pytest.approx(0.03255 / 105 * 60)
    assert block["projection"] == {"totalTokens": round(17100 + 17100 / 105 * 120),
                                   "totalCost": round(0.03255 + 0.03255 / 105 * 120, 2), "remainingMinutes": 120}


@pytest.mark.parametrize("args, message", [
    (("--since", "2026-13-01"), "Error: --since '2026-13-01' is neither a duration nor a date"),
    (("--until", "soon"), "Error: --until 'soon' is neither a duration nor a date"),
    (("--timezone", "Mars/Olympus"), "Error: --timezone 'Mars/Olympus' is not a known time zone"),
])
def test_bad_dates_and_zones_are_clean_errors(args, message):
    done = subprocess.run([sys.executable, str(ROOT / "relay.py"), "report", "daily", *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert message in done.stderr


def test_daily_on_a_recorded_claude_code_session():
    import shutil

    from tests.session_homes import DATA
    shutil.copyfile(DATA / "claude" / "session-tool-bash.jsonl",
                    write("c6591387-3c88-4bda-9ab0-808028906ae9", [], project="-scratch-work2"))
    (day,) = report("daily")["daily"]
    # msg_fake_1803... is written on two lines with the same usage: two messages, not three;
    # each 12 in, 7 out, 1500 5m writes, 3000 reads at claude-opus-5-5 (4 / 20 / 5 / 0.2)
    # = 48 + 140 + 7500 + 600 = 8288 -> $0.008288
    assert (day["date"], day["inputTokens"], day["outputTokens"], day["cacheCreationTokens"],
            day["cacheReadTokens"]) == ("2026-11-22", 24, 14, 3000, 6000)
    assert day["totalCost"] == pytest.approx(0.016576)


def test_an_index_made_before_m005_is_filled_once(store):
    from relay.store import Store
    write("sess-a", session_a())
    reports.refresh(store, ("claude",))
    # roll the database back to before m005: no table, files marked as indexed
    store.write(lambda c: (c.execute("DROP TABLE message_usage"),
                           c.execute("DELETE FROM _relay_migrations WHERE name = 'm005_message_usage'")))
    path = store.path
    store.close()
    reopened = Store(path, url=os.environ.get("RELAY_DATABASE_URL"))   # the same database, on either backend
    try:
        assert reopened.read(lambda c: c.execute("SELECT COUNT(*) FROM session_files").fetchone()[0]) == 0
        reports.refresh(reopened, ("claude",))
        result = reports.aggregate(reopened, prices.load(), "day", ("claude",))
        assert [(g["key"], round(g["cost"], 6)) for g in result["groups"]] == [("2026-11-20", 0.03405),
                                                                              ("2026-11-21", 0.003)]
    finally:
        reopened.close()


def test_every_report_subcommand_has_help_text():
    listing = run("--help")
    for kind in ("daily", "weekly", "monthly", "session", "blocks"):
        assert any(line.split()[:1] == [kind] and len(line.split()) > 1 for line in listing.splitlines()), kind
        assert "Usage and cost per" in run(kind, "--help")
