"""`relay report` against ccusage 20.0.24 as the oracle, on a generated history.

The corpus is bench/synth_sessions.py's Claude Code sessions (model renamed to one both price the
same way) plus a hand-placed session around the end of daylight saving time in New York
(2026-11-01 06:00 UTC) and Berlin (2026-10-25 01:00 UTC). Both tools read the same files; relay's
index and ccusage's parser must give the same rows, keys and token sums, and the same dollars.
"""
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import synth_sessions
from tests.costs.report_sessions import SONNET, assistant, usage, user
from tests.real_clients import BASE_PATH, ccusage
from tests.relay_process import ROOT

# On SQLite, then on PostgreSQL (tests/conftest.py `backend`): the relay and `relay` commands it starts too.
pytestmark = pytest.mark.usefixtures("backend")

TOKENS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens")
# (timestamp, id) of messages around the two DST ends; the day each falls on is in the test below
DST = [("2026-10-24T21:30:00.000Z", "d1"), ("2026-10-24T22:30:00.000Z", "d2"), ("2026-10-25T22:30:00.000Z", "d3"),
       ("2026-10-25T23:30:00.000Z", "d4"), ("2026-11-01T03:30:00.000Z", "d5"), ("2026-11-01T04:30:00.000Z", "d6"),
       ("2026-11-02T04:30:00.000Z", "d7"), ("2026-11-02T05:30:00.000Z", "d8")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    homes, _ = synth_sessions.generate(str(root), 6 << 20, seed=19)
    claude = Path(homes["claude"])
    for path in claude.rglob("*.jsonl"):
        path.write_text(path.read_text().replace("claude-opus-5-5", SONNET))
    lines = []
    for i, (ts, mid) in enumerate(DST):
        lines += [user(ts, session="dst", cwd="/w/dst"),
                  assistant(mid, f"r-{mid}", ts, SONNET, usage=usage(100 * (i + 1), 10 * (i + 1)), session="dst",
                            cwd="/w/dst")]
    dst = claude / "projects" / "-w-dst" / "dst.jsonl"
    dst.parent.mkdir(parents=True)
    # compact, as Claude Code writes it: ccusage 20 skips lines with spaces after the separators
    dst.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
    return claude


@pytest.fixture
def oracle(corpus, monkeypatch, tmp_path):
    monkeypatch.setenv("RELAY_CLAUDE_HOME", str(corpus))
    binary = ccusage()

    def run(*args, tz=None):
        env = {"PATH": BASE_PATH, "HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": str(corpus), "NO_COLOR": "1",
               **({"TZ": tz} if tz else {})}
        done = subprocess.run([str(binary), "claude", *args, "--json", "--offline"], capture_output=True, text=True,
                              timeout=300, env=env, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)
    return run


def relay(*args, tz=None, raw=False):
    env = dict(os.environ, **({"TZ": tz} if tz else {}))
    done = subprocess.run([sys.executable, str(ROOT / "relay.py"), "report", *args, "--provider", "claude"],
                          capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return done.stdout if raw else json.loads(done.stdout)


def same(ours, theirs, key):
    assert [r[key] for r in ours] == [r[key] for r in theirs]
    for a, b in zip(ours, theirs):
        assert {k: a[k] for k in TOKENS} == {k: b[k] for k in TOKENS}, a[key]
        assert a["totalCost"] == pytest.approx(b["totalCost"], rel=1e-9, abs=1e-9), a[key]
        assert a["modelsUsed"] == b["modelsUsed"]


@pytest.mark.parametrize("start", [None, "monday", "wednesday"])
def test_weekly_totals_match_ccusage(oracle, start):
    flags = ("--start-of-week", start) if start else ()
    ours, theirs = relay("weekly", "--json", "-z", "UTC", *flags), oracle("weekly", "-z", "UTC", *flags)
    assert len(ours["weekly"]) >= 3
    same(ours["weekly"], theirs["weekly"], "week")
    assert {k: ours["totals"][k] for k in TOKENS} == {k: theirs["totals"][k] for k in TOKENS}


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Pacific/Auckland"])
def test_day_boundaries_follow_the_zone_as_ccusage(oracle, zone):
    # the zone as --timezone, and as the system zone (TZ) with no flag: ccusage's default
    for ours, theirs in ((relay("daily", "--json", "-z", zone), oracle("daily", "-z", zone)),
                         (relay("daily", "--json", tz=zone), oracle("daily", tz=zone))):
        same(ours["daily"], theirs["daily"], "date")
    same(relay("monthly", "--json", "-z", zone)["monthly"], oracle("monthly", "-z", zone)["monthly"], "month")


def test_dst_days_by_hand(corpus, monkeypatch):
    """Without ccusage: each hand-placed message lands on the day its zone's clock showed."""
    monkeypatch.setenv("RELAY_CLAUDE_HOME", str(corpus))
    inputs = {mid: 100 * (i + 1) for i, (_, mid) in enumerate(DST)}
    expect = {  # d2 is 00:30 CEST on 10-25 and d4 00:30 CET on 10-26; d7 23:30 EST on 11-01, not 00:30 EDT
        "Europe/Berlin": {"2026-10-24": ["d1"], "2026-10-25": ["d2", "d3"], "2026-10-26": ["d4"],
                          "2026-11-01": ["d5", "d6"], "2026-11-02": ["d7", "d8"]},
        "America/New_York": {"2026-10-24": ["d1", "d2"], "2026-10-25": ["d3", "d4"], "2026-10-31": ["d5"],
                             "2026-11-01": ["d6", "d7"], "2026-11-02": ["d8"]},
    }
    for zone, days in expect.items():
        rows = relay("daily", "--json", "-z", zone, "--project", "-w-dst")["daily"]
        got = {d["date"]: d["inputTokens"] for d in rows}
        assert got == {day: sum(inputs[m] for m in mids) for day, mids in days.items()}, zone


def test_csv_columns_are_ccusages_json_fields(oracle):
    theirs = oracle("daily", "-z", "UTC")["daily"]
    rows = list(csv.DictReader(io.StringIO(relay("daily", "--format", "csv", "-z", "UTC", raw=True))))
    assert list(rows[0]) == ["date", "modelsUsed", "inputTokens", "outputTokens", "cacheCreationTokens",
                             "cacheReadTokens", "totalTokens", "totalCost"]
    assert [r["date"] for r in rows] == [d["date"] for d in theirs]
    for row, day in zip(rows, theirs):
        assert {k: int(row[k]) for k in TOKENS} == {k: day[k] for k in TOKENS}
        assert float(row["totalCost"]) == pytest.approx(day["totalCost"], rel=1e-9)
        assert row["modelsUsed"] == ", ".join(day["modelsUsed"])
    # with --breakdown one row per day and model, still adding up to the day
    split = list(csv.DictReader(io.StringIO(relay("daily", "--format", "csv", "--breakdown", "-z", "UTC", raw=True))))
    assert "model" in split[0] and sum(int(r["inputTokens"]) for r in split) == sum(d["inputTokens"] for d in theirs)
    # the weekly CSV keys its rows by week, as the JSON does
    weekly = relay("weekly", "--format", "csv", "-z", "UTC", raw=True).splitlines()
    assert weekly[0].startswith("week,") and len(weekly) - 1 == len(oracle("weekly", "-z", "UTC")["weekly"])


def test_order_project_and_instances_match_ccusage(oracle):
    same(relay("daily", "--json", "-z", "UTC", "--order", "desc")["daily"],
         oracle("daily", "-z", "UTC", "--order", "desc")["daily"], "date")
    project = "-w-dst"
    same(relay("daily", "--json", "-z", "UTC", "--project", project)["daily"],
         oracle("daily", "-z", "UTC", f"--project={project}")["daily"], "date")
    ours, theirs = relay("daily", "--json", "-z", "UTC", "--instances"), oracle("daily", "-z", "UTC", "--instances")
    assert sorted(ours["projects"]) == sorted(theirs["projects"]) and len(ours["projects"]) > 2
    for name, rows in theirs["projects"].items():
        same(ours["projects"][name], rows, "date")
        assert all(r["project"] == name for r in ours["projects"][name])
    table = relay("daily", "-z", "UTC", "--instances", raw=True)
    assert "Project: -w-dst" in table


def test_since_until_forms_agree(corpus, monkeypatch):
    monkeypatch.setenv("RELAY_CLAUDE_HOME", str(corpus))
    compact = relay("daily", "--json", "-z", "UTC", "--since", "20261103", "--until", "20261110")
    iso = relay("daily", "--json", "-z", "UTC", "--since", "2026-11-03", "--until", "2026-11-10")
    assert compact == iso and compact["daily"]
    assert all("2026-11-03" <= d["date"] <= "2026-11-10" for d in compact["daily"])
    moment = relay("daily", "--json", "-z", "UTC", "--since", "2026-11-03T00:00:00Z", "--until", "2026-11-11T00:00:00Z")
    assert moment == compact
