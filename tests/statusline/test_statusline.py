"""`relay statusline` fed the status JSON of several Claude Code versions, against a database the
proxy filled: the line's content, the fallback on a missing and a locked database, garbage stdin."""
import contextlib
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from relay import paths, statusline
from relay.store import Store, totals_queries
from tests.fake_upstream import RESET_EPOCH
from tests.proxy.conftest import messages_body, wait_rows
from tests.relay_process import ROOT

DATA = Path(__file__).resolve().parents[1] / "data"
VERSIONS = ("v1.0.30", "v1.0.85", "v2.0.65", "v2.1.90")
NOW = RESET_EPOCH - 7800            # the fake upstream's 5h window resets 2 h 10 min later


def status(version, session="sess-line"):
    text = (DATA / "statusline" / f"{version}.json").read_text()
    return text.replace("SESSION", session)


def line(text, *options, now=NOW, **keywords):
    out = io.StringIO()
    statusline.run(*options, stdin=io.StringIO(text), out=out, now=now, **keywords)
    return out.getvalue()


def run(stdin, *args):
    return subprocess.run([sys.executable, str(ROOT / "relay.py"), "statusline", *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


def send(relay, session, utilization):
    for _ in range(2):
        requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=False), timeout=10,
                      headers={"content-type": "application/json", "x-api-key": "k",
                               "anthropic-version": "2023-06-01", "x-claude-code-session-id": session,
                               "x-fake-utilization": utilization})
    wait_rows(relay.url, 2, session_id=session)


@pytest.mark.parametrize("version", VERSIONS)
def test_line_for_each_claude_code_version(relay, version):
    send(relay, "sess-line", "5h=0.82,7d=0.4")
    text = line(status(version), no_color=True)
    assert text.count("\n") == 1
    assert text.startswith("Opus 5.5")
    # measured by the proxy, whatever the JSON says: 82% (warn) with its reset, 7d 40%
    assert "5h 82% ↻2 h 10 min · 7d 40% ↻1 d 2 h" in text
    # fake upstream per request: 12 in, 7 out, 500 5m + 1000 1h writes, 3000 reads of claude-opus-5-5
    # = $0.011288; two requests, both today (NOW is before them)
    assert "$0.02 session $0.02 today" in text
    assert "cache 66%" in text                       # 3000 / (12 + 1500 + 3000) = 66.5%
    assert "⚠ 5h quota 82%" in text
    context = {"v1.0.30": "ctx 0%",                  # measured: 4512 of claude-opus-5-5's 1M window
               "v1.0.85": "ctx 0%",
               "v2.0.65": "ctx 30%",                 # current_usage 60000 of 200000
               "v2.1.90": "ctx 6%"}[version]         # used_percentage
    assert f" · {context} · " in text


def test_json_twin_and_api_agree(relay):
    send(relay, "sess-api", "5h=0.95,7d=0.1")
    data = json.loads(line(status("v1.0.30", "sess-api"), as_json=True))
    assert data["guard"]["tier"] == "critical" and data["guard"]["alert"] == "5h quota 95%"
    assert data["cost"]["session_source"] == "measured"
    assert data["cost"]["session_usd"] == pytest.approx(2 * 0.011288)
    assert data["cache_hit_pct"] == 66.5 and data["context"]["source"] == "measured"
    api = requests.get(f"{relay.url}/api/v1/statusline", params={"session_id": "sess-api"}, timeout=10).json()
    assert api["ok"] is True
    twin = api["statusline"]
    for key in ("session_id", "context", "cost", "cache_hit_pct"):     # quota: the API's now is past the reset
        assert twin[key] == data[key], key
    assert twin["model"] == {"id": "claude-opus-5-5", "name": "claude-opus-5-5"}   # no display name without the JSON
    assert [w["name"] for w in twin["quota"]["windows"]] == ["5h", "7d"]


def test_colors_follow_the_guard_tier(relay):
    send(relay, "sess-color", "5h=0.55,7d=0.1")
    text = line(status("v1.0.85", "sess-color"))
    assert "\033[36m5h 55%" in text                  # notice: cyan
    assert "⚠" not in text                           # no alert below warn
    assert "\033[" not in line(status("v1.0.85", "sess-color"), no_color=True)


def test_format_segments_and_template(relay):
    send(relay, "sess-fmt", "5h=0.1,7d=0.2")
    assert line(status("v2.1.90", "sess-fmt"), "model,cache", no_color=True) == "Opus 5.5 (1M context) · cache 66%\n"
    templated = line(status("v2.1.90", "sess-fmt"), "[{model}] {context}", no_color=True)
    assert templated == "[Opus 5.5 (1M context)] ctx 6%\n"


def test_missing_database_prints_the_json_alone():
    assert not paths.db_path().exists()
    done = run(status("v2.1.90"), "--no-color")
    assert done.returncode == 0 and done.stderr == ""
    text = done.stdout
    assert text.startswith("Opus 5.5 (1M context) · ctx 6%")
    assert "$0.01 session" in text and "relay: no database" in text     # Claude Code's own cost
    assert "5h " in text and "7d " in text                              # its rate_limits
    assert not paths.db_path().exists()                                 # read-only: nothing created


def test_rate_limits_from_the_json_with_resets():
    text = line(status("v2.1.90"), no_color=True, now=1795362200 - 3600, db="/nonexistent/relay.db")
    assert "5h 24% ↻1 h · 7d 41% ↻1 d 8 h" in text   # now 11-22 14:43Z; 7d resets 11-23 23:00Z


@contextlib.contextmanager
def locked_database():
    """relay's database with another connection holding an exclusive lock until the block ends."""
    Store(paths.db_path()).close()
    holder = sqlite3.connect(paths.db_path(), isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("INSERT INTO _relay_migrations VALUES ('lock-test', 0)")
        yield
    finally:
        holder.close()


def test_locked_database_prints_a_fallback_line():
    with locked_database():
        done = run(status("v2.0.65"), "--no-color")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert done.stdout.startswith("Opus 5.5 · ctx 30%") and "relay: database busy" in done.stdout


@pytest.mark.parametrize("garbage", ["", "not json", "[1, 2]", "{\"model\": 7, \"context_window\": []}",
                                     "{\"session_id\": {\"x\": 1}, \"rate_limits\": {\"five_hour\": 3}}",
                                     "\xff\xfe", "{" * 5000])
def test_garbage_stdin_never_prints_a_traceback(garbage):
    done = run(garbage)
    assert done.returncode == 0 and done.stderr == "" and done.stdout.strip()


def test_running_totals_read_only_new_rows_and_stay_right(relay):
    send(relay, "sess-run", "5h=0.1,7d=0.1")
    assert "$0.02 session $0.02 today" in line(status("v1.0.85", "sess-run"), no_color=True)
    state = json.loads((paths.db_path().parent / statusline.STATE_FILE).read_text())["sess-run"]
    assert state["session"] == "sess-run" and state["mine"]["requests"] == 2
    send(relay, "sess-other", "5h=0.1,7d=0.1")
    send(relay, "sess-run", "5h=0.1,7d=0.1")
    wait_rows(relay.url, 4, session_id="sess-run")
    # 4 requests of this session = $0.045152; today 6 = $0.067728, whichever way they were summed
    data = json.loads(line(status("v1.0.85", "sess-run"), as_json=True))
    assert data["cost"]["session_usd"] == pytest.approx(4 * 0.011288)
    assert data["cost"]["today_usd"] == pytest.approx(6 * 0.011288)
    (paths.db_path().parent / statusline.STATE_FILE).unlink()
    again = json.loads(line(status("v1.0.85", "sess-run"), as_json=True))
    assert again["cost"] == data["cost"]


def test_a_new_session_carries_the_day_on_from_another_sessions_totals(relay, monkeypatch):
    send(relay, "sess-first", "5h=0.1,7d=0.1")
    assert "$0.02 session $0.02 today" in line(status("v1.0.85", "sess-first"), no_color=True)
    send(relay, "sess-second", "5h=0.1,7d=0.1")
    send(relay, "sess-second", "5h=0.1,7d=0.1")
    wait_rows(relay.url, 4, session_id="sess-second")
    summed = []
    real = totals_queries.Since
    monkeypatch.setattr(totals_queries, "Since", lambda since, session_id=None: summed.append(session_id)
                        or real(since, session_id))
    # NOW is before the rows, so every row counts as today: 6 requests, 4 of them this session's
    data = json.loads(line(status("v1.0.85", "sess-second"), as_json=True))
    assert data["cost"]["session_usd"] == pytest.approx(4 * 0.011288)
    assert data["cost"]["today_usd"] == pytest.approx(6 * 0.011288)
    assert summed == ["sess-second"]          # the day went on from sess-first's totals, not summed again
    state = json.loads((paths.db_path().parent / statusline.STATE_FILE).read_text())
    assert state["sess-second"]["mine"]["requests"] == 4 and state["sess-second"]["today"]["requests"] == 6
