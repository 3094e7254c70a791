"""relay top: render() as a pure function of a snapshot, the database feed, the live feed against
a real relay (dashboard API + SSE), and `relay top --once` as a user runs it."""
import json
import subprocess
import sys
import time

import pytest
import requests
from rich.console import Console

from relay.models import Exchange, Usage
from relay.store.writes import record_exchange_finish
from relay.tui import feed as feeds
from relay.tui.top import render
from tests.fake_clis import FakeCLIs
from tests.proxy.conftest import messages_body, wait_rows
from tests.relay_process import ROOT

NOW = 1_795_000_000.0
HEADERS = {"content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01"}


def text_of(renderable, width=160):
    console = Console(record=True, width=width, color_system=None)
    console.print(renderable)
    return console.export_text()


def flat(text):
    """The text with runs of whitespace as one space, for asserting on content, not layout."""
    return " ".join(text.split())


def exchange(n, ts, outcome="ok", model="claude-opus-4-6", **usage):
    return {"id": f"e{n}", "ts": ts, "model": model, "status": 200 if outcome == "ok" else 529, "outcome": outcome,
            "duration_ms": 1234.0, **{k: 0 for k in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                                                      "cache_creation_input_tokens")}, **usage}


def dashboard(sessions=(), windows=(), guard=None):
    return {"summary": {"requests_today": 42, "in_flight": 1, "cost_today": 1.2345,
                        "cost_by_model": [{"model": "claude-opus-4-6", "cost": 1.2345, "requests": 40}],
                        "unpriced": ["mystery-model"], "error_rate_pct": 5.0, "errors_1h": 2, "requests_1h": 40,
                        "cache_hit_pct": 93.5},
            "quota": {"source": "measured", "windows": list(windows)}, "sessions": list(sessions),
            "guard": guard or {"available": False}, "requests": []}


SESSION = {"session_id": "a1b2c3d4-session", "alive": True, "cli": "claude", "connection": ["ssh", "tmux"],
           "pid": 4242, "cwd": "/home/u/[red]proj[/red]", "turns": 17, "context_pct": 61.5}


def test_render_shows_every_section_from_the_snapshot(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    exchanges = [exchange(1, NOW - 10, input_tokens=1000, output_tokens=200),
                 exchange(2, NOW - 30, outcome="upstream_error"),
                 exchange(3, NOW - 120, input_tokens=99999)]           # outside the 60 s window
    snap = feeds.snapshot("live", "http://127.0.0.1:8083", dashboard(
        [SESSION], [{"name": "5h", "used_pct": 12.0, "reset": "2026-11-18T12:06:40Z"},
                    {"name": "7d", "used_pct": 95.0, "reset": "2026-11-20T12:40:00Z"},
                    {"name": "7d_opus", "used_pct": 5.0, "reset": None}]), exchanges, NOW)
    assert snap["rates"]["requests"] == 2 and snap["rates"]["tokens"]["input"] == 1000
    out = flat(text_of(render(snap)))
    assert "● live http://127.0.0.1:8083" in out
    for pair in ("req/s 0.03", "tok/s 20 ", "input 1.0k", "output 200", "cache read 0", "errors 1 ", "in flight 1",
                 "today 42 req"):
        assert pair in out, pair
    assert "cost today $1.23" in out and "93.5%" in out and "2 of 40 (5.0%)" in out
    assert "unpriced mystery-model" in out
    # resets read from now (NOW is 11-18 11:06:40 UTC, the test's zone): the time left, and the
    # date when the reset is not today
    assert "5h █░░░░░░░░░ 12.0%" in out and "↻ in 1 h " in out and "7d ██████████ 95.0%" in out
    assert "↻ in 2 d 1 h (Fri 20 Nov)" in out
    assert "guard" in out and "not available" in out
    assert "ssh+tmux" in out and "4242" in out and "61.5%" in out and "a1b2c3d4-session" in out
    # text from sessions is never markup: the brackets print as they are
    assert "/home/u/[red]proj[/red]" in out
    assert "upstream_error" in out and "1.2k" in out and "1234" in out


def test_render_empty_database_snapshot_with_note():
    snap = feeds.snapshot("database", "/tmp/x/relay.db", dashboard(), [], NOW,
                          note="no relay answering at http://127.0.0.1:9; reading the database")
    out = flat(text_of(render(snap), width=100))
    assert "○ database /tmp/x/relay.db" in out and "no relay answering at http://127.0.0.1:9" in out
    assert "not measured yet" in out and "no running CLI and no recent proxied session" in out


UNIFIED = "anthropic-ratelimit-unified-"


def guarded_exchange(n, ts, quota=None, prompt=0, model="claude-opus-4-5", session_id="sess-guarded"):
    return Exchange(id=f"g{n}", ts=ts, provider="anthropic", method="POST", path="/v1/messages", model=model,
                    session_id=session_id, status=200, outcome="ok", usage=Usage(input_tokens=prompt, output_tokens=5),
                    ratelimit={} if quota is None else {f"{UNIFIED}5h-utilization": str(quota)})


def test_render_guard_panel_from_a_live_guard():
    from relay import guard
    from relay.present import dashboard as dashboard_view
    from relay.present import guard as guard_view
    live = guard.Guard({"quota": (50.0, 75.0, 90.0), "context": (50.0, 75.0, 90.0)})
    live.observe(guarded_exchange(1, NOW, quota=0.8, prompt=160_000))    # quota 80 % warn; 160k of 200k: 80 % warn
    live.observe(guarded_exchange(2, NOW, quota=0.95, prompt=10_000))    # quota critical, context back to ok
    section = dashboard_view.section(guard_view.guard(live.snapshot(), source="live"))
    out = flat(text_of(render(feeds.snapshot("live", "u", dashboard(guard=section), [], NOW))))
    assert "guard" in out and "not available" not in out and "replayed" not in out
    assert "quota critical 95.0% 5h" in out
    assert "context ok" in out and "ok 5.0% sess-guarded" in out
    # the newest alert first: quota warn -> critical, then the context's way down and up
    assert out.index("#4") < out.index("#3") < out.index("#2")
    assert "quota #3 warn → critical 95.0%" in out and "context #4 warn → ok 5.0%" in out


def test_render_guard_panel_not_available():
    out = text_of(render(feeds.snapshot("live", "u", dashboard(guard={"available": False}), [], NOW)))
    assert "not available" in out


def test_database_feed_replays_the_guard_from_stored_exchanges(store):
    now = time.time()
    store.write(record_exchange_finish(guarded_exchange(1, now - 30, quota=0.55, prompt=150_000)))
    snap = feeds.DbFeed(None, store).snapshot(now)
    g = snap["guard"]
    assert g["available"] and g["source"] == "database" and g["alerts"] == []
    # quota 55 %: notice; context 150k of Opus 4.5's 200k = 75 %: warn (defaults 50/70/85)
    assert g["zones"] == {"quota": "notice", "context": "warn"}
    out = flat(text_of(render(snap)))
    assert "guard (replayed)" in out and "quota notice 55.0% 5h" in out and "warn 75.0% sess-guarded" in out


def test_database_feed_reads_rows_and_running_clis(store, tmp_path):
    now = time.time()
    for n, ts in enumerate((now - 5, now - 15, now - 500)):
        store.write(record_exchange_finish(Exchange(
            id=f"db-{n}", ts=ts, provider="anthropic", method="POST", path="/v1/messages", model="claude-opus-4-6",
            status=200, outcome="ok", usage=Usage(input_tokens=100, output_tokens=10))))
    clis = FakeCLIs(tmp_path / "bin")
    try:
        proc = clis.start("gemini", tmp_path, env={"STY": "1.pts"})
        snap = feeds.DbFeed(None, store).snapshot(now)
    finally:
        clis.stop()
    assert snap["source"] == "database" and snap["rates"]["requests"] == 2
    assert snap["rates"]["tokens"] == {"input": 200, "output": 20, "cache_read": 0, "cache_write": 0}
    assert snap["summary"]["requests_today"] >= 2
    mine = next(s for s in snap["sessions"] if s["pid"] == proc.pid)
    assert mine["cli"] == "gemini" and mine["connection"] == ["screen"]
    assert "screen" in text_of(render(snap))


def test_live_feed_follows_the_event_stream(relay, upstream):
    live = feeds.LiveFeed(relay.url)
    assert live.probe()
    live.start()
    try:
        deadline = time.monotonic() + 10
        while live.stream is None and time.monotonic() < deadline:
            time.sleep(0.02)
        requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=True), headers=HEADERS, timeout=10)
        [row] = wait_rows(relay.url, 1)
        while row["id"] not in live.seen or not live.seen[row["id"]].get("outcome"):
            assert time.monotonic() < deadline, "the finished exchange never arrived over SSE"
            live.wait(0.2)
        snap = live.snapshot()
    finally:
        live.close()
    assert snap["source"] == "live" and snap["rates"]["requests"] == 1
    assert snap["rates"]["tokens"]["output"] == 7 and snap["recent"][0]["id"] == row["id"]
    assert "claude-opus-5-5" in text_of(render(snap))


def test_auto_feed_falls_back_to_the_database_when_the_relay_stops(relay, store):
    live = feeds.LiveFeed(relay.url, timeout=2)
    auto = feeds.AutoFeed(live, lambda note: feeds.DbFeed(None, store, note=note))
    assert auto.snapshot()["source"] == "live"
    relay.stop()
    snap = auto.snapshot()
    assert snap["source"] == "database" and "stopped answering" in snap["note"]


def run_top(*args):
    return subprocess.run([sys.executable, str(ROOT / "relay.py"), "top", "--once", "--width", "150", *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_top_once_against_a_running_relay_and_without_one(relay, upstream):
    requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=False), headers=HEADERS, timeout=10)
    wait_rows(relay.url, 1)
    done = run_top("--port", str(relay.port))
    assert done.returncode == 0, done.stderr
    assert f"● live http://127.0.0.1:{relay.port}" in done.stdout and "claude-opus-5-5" in done.stdout
    relay.stop()
    done = run_top("--port", str(relay.port))
    assert done.returncode == 0, done.stderr
    assert "○ database" in done.stdout and "reading the database" in done.stdout
    assert "claude-opus-5-5" in done.stdout       # the row the relay recorded, read from the file


@pytest.mark.parametrize("args, message", [(("--refresh", "0"), "--refresh"), (("--port", "x"), "--port")])
def test_top_bad_options_are_clean_errors(args, message):
    done = run_top(*args)
    assert done.returncode == 2 and "Error" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr


def test_live_loop_redraws_until_ctrl_c(store):
    import io

    from relay.tui.top import run

    class TwoFrames(feeds.DbFeed):
        frames = 0

        def snapshot(self, now=None):
            TwoFrames.frames += 1
            return super().snapshot(now)

        def wait(self, timeout):
            if TwoFrames.frames >= 2:
                raise KeyboardInterrupt

    out = io.StringIO()
    run(TwoFrames(None, store), 0.1, Console(file=out, width=120, color_system=None))
    assert TwoFrames.frames == 2 and "relay top" in out.getvalue()


def test_a_guard_alert_on_the_stream_wakes_the_live_loop():
    from types import SimpleNamespace
    live = feeds.LiveFeed("http://127.0.0.1:9")
    live._on_event(SimpleNamespace(event="usage/tick", data="{}"))
    assert not live.changed.is_set()
    live._on_event(SimpleNamespace(event="guard/alert", data=json.dumps({"data": {"id": 1, "zone": "quota"}})))
    assert live.changed.is_set() and live.seen == {}      # an alert is not a request


def test_sessions_show_snr_cache_hit_and_the_most_repeated_read():
    card = {**SESSION, "cwd": "/w", "snr": 0.41, "cache_hit_pct": 88.2, "context_tokens": 123_000,
            "context_window": 200_000,
            "duplicate_reads": {"count": 3, "tokens": 2400, "files": [
                {"path": "/w/src/app.py", "reads": 3, "duplicates": 2, "tokens": 1600},
                {"path": "/w/README.md", "reads": 2, "duplicates": 1, "tokens": 800}]}}
    quiet = {**SESSION, "session_id": "quiet", "cwd": "/q", "snr": None, "cache_hit_pct": None,
             "duplicate_reads": {"count": 0, "tokens": 0, "files": []}}
    out = flat(text_of(render(feeds.snapshot("live", "x", dashboard([card, quiet]), [], NOW)), width=220))
    assert "61.5% 123.0k/200.0k" in out and "0.41" in out and "88.2%" in out
    assert "3× app.py (1.6k tok) +1 files" in out and " none " in out
