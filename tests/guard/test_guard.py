"""Guard tiers and zones with hand-computed values, transitions on the bus, and the on-alert hook."""
import json
import sys
import time

import psutil
import pytest

from relay import guard
from relay.bus import Bus
from relay.config import load
from relay.errors import ConfigError
from relay.guard import hooks as guard_hooks
from relay.models import Exchange, Usage

U = "anthropic-ratelimit-unified-"
THRESHOLDS = {"context": (50.0, 70.0, 85.0), "quota": (50.0, 75.0, 90.0)}


def ex(session="s1", model="claude-opus-4-5", util5=None, util7=None, **usage):   # a 200k window
    headers = {}
    if util5 is not None:
        headers[U + "5h-utilization"] = util5
    if util7 is not None:
        headers[U + "7d-utilization"] = util7
    return Exchange(id=f"ex-{time.monotonic_ns()}", ts=time.time(), provider="anthropic", method="POST",
                    path="/v1/messages", model=model, session_id=session, status=200, outcome="ok",
                    usage=Usage(**usage), ratelimit=headers)


def test_tier_boundaries_are_inclusive():
    t = THRESHOLDS["quota"]
    assert [guard.tier(v, t) for v in (None, 0, 49.99, 50, 74.9, 75, 89.99, 90, 130)] == [
        "ok", "ok", "ok", "notice", "notice", "warn", "warn", "critical", "critical"]


def test_context_zone_is_prompt_over_the_models_window():
    bus = Bus()
    g = guard.Guard(THRESHOLDS, bus)
    sub = bus.subscribe()
    # 60,000 input + 30,000 cache write + 50,000 cache read = 140,000 of 200,000 = 70.0% -> warn
    fired = g.observe(ex(input_tokens=60_000, cache_creation_input_tokens=30_000, cache_read_input_tokens=50_000,
                         output_tokens=9_999))
    assert [(a["zone"], a["from"], a["to"], a["value_pct"], a["threshold_pct"]) for a in fired] == [
        ("context", "ok", "warn", 70.0, 70.0)]
    event = sub.get(timeout=1)
    assert event.kind == "guard/alert" and event.data["session_id"] == "s1"
    # the same fill again is no transition; a 1M model at 140k is 14% -> back to ok, "down"
    assert g.observe(ex(input_tokens=140_000)) == []
    down = g.observe(ex(model="claude-sonnet-4-5[1m]", input_tokens=140_000))
    assert (down[0]["to"], down[0]["direction"], down[0]["value_pct"]) == ("ok", "down", 14.0)
    # another session is its own zone
    other = g.observe(ex(session="s2", cache_read_input_tokens=180_000))      # 90% -> critical
    assert (other[0]["session_id"], other[0]["to"]) == ("s2", "critical")
    snap = g.snapshot()
    assert [s["session_id"] for s in snap["sessions"]] == ["s2", "s1"]
    assert [a["id"] for a in snap["alerts"]] == [1, 2, 3] and snap["last_alert_id"] == 3
    assert [a["id"] for a in g.snapshot(after=2)["alerts"]] == [3]


def test_quota_zone_is_the_larger_window_and_keeps_its_state_without_headers():
    g = guard.Guard(THRESHOLDS)
    assert [a["to"] for a in g.observe(ex(util5="0.51", util7="0.2"))] == ["notice"]
    # 7d at 0.76 outweighs 5h at 0.3: warn, from the 7d window
    up = g.observe(ex(util5="0.3", util7="0.76"))
    assert (up[0]["from"], up[0]["to"], up[0]["window"], up[0]["value_pct"]) == ("notice", "warn", "7d", 76.0)
    assert g.observe(ex()) == [] and g.snapshot()["quota"]["tier"] == "warn"
    assert [a["to"] for a in g.observe(ex(util5="0.95"))] == ["critical"]
    assert [(a["to"], a["direction"]) for a in g.observe(ex(util5="0.01", util7="0.02"))] == [("ok", "down")]


def test_priming_takes_state_without_alerts():
    g = guard.from_rows(THRESHOLDS, [ex(util5="0.8"), ex(input_tokens=150_000)])
    snap = g.snapshot()
    assert snap["quota"]["tier"] == "warn" and snap["sessions"][0]["tier"] == "warn" and snap["alerts"] == []
    assert g.observe(ex(util5="0.81")) == []


def test_thresholds_come_from_settings_and_must_rise():
    settings = load(environ={"RELAY_GUARD_QUOTA_WARN": "60"})
    assert guard.thresholds_from(settings) == {"context": (50.0, 70.0, 85.0), "quota": (50.0, 60.0, 90.0)}
    with pytest.raises(ConfigError, match="must rise"):
        guard.thresholds_from(load(environ={"RELAY_GUARD_QUOTA_WARN": "95"}))


def _recorder(tmp_path, gate=None):
    """A shell command that appends its stdin and two env vars to a file, one line per run; with
    `gate`, it first waits until that file exists."""
    out = tmp_path / "alerts.txt"
    script = tmp_path / "rec.py"
    wait = (f"import pathlib, time\nwhile not pathlib.Path({str(gate)!r}).exists(): time.sleep(0.02)\n"
            if gate else "")
    script.write_text("import json, os, sys\n" + wait +
                      "alert = json.load(sys.stdin)\n"
                      f"open({str(out)!r}, 'a').write(json.dumps([alert, os.environ['RELAY_ALERT_ZONE'],"
                      " os.environ['RELAY_ALERT_TO']]) + '\\n')\n")
    return f"{sys.executable} {script}", out


def wait_lines(path, count, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"expected {count} line(s) in {path}, got {path.read_text() if path.exists() else None}")


def test_on_alert_hook_gets_the_alert_as_json_and_env(tmp_path):
    gate = tmp_path / "gate"
    cmd, out = _recorder(tmp_path, gate)
    g = guard.Guard(THRESHOLDS, on_alert=guard_hooks.Hooks(cmd, timeout=10))
    # the hook waits for the gate, which opens only after observe() returned: a hook run in the
    # foreground would never see it (and this test would hang)
    alert = g.observe(ex(util5="0.92"))[0]
    assert not out.exists()
    gate.touch()
    (got, zone, to), = wait_lines(out, 1)
    assert got == alert and (zone, to) == ("quota", "critical")


def test_a_hanging_hook_is_killed_at_its_timeout_with_what_it_started(tmp_path):
    # no exec: the shell forks the hanging child, which must die with it
    pid_file = tmp_path / "child.pid"
    hang = f"import os, signal; open({str(pid_file)!r}, 'w').write(str(os.getpid())); signal.pause()"
    assert guard_hooks.run_command(f"{sys.executable} -c \"{hang}\"; true",
                                   {"id": 1, "zone": "quota"}, timeout=2) is None
    child = int(pid_file.read_text())
    try:   # SIGKILL went to the whole group; the child's exit itself may take a moment to land
        process = psutil.Process(child)
        _, alive = psutil.wait_procs([process], timeout=10)
        assert not alive or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        pass
    assert guard_hooks.run_command("exit 3", {"id": 2}, timeout=5) == 3


def test_desktop_notification_uses_notify_send_when_present(tmp_path, monkeypatch):
    calls = tmp_path / "calls.txt"
    fake = tmp_path / "bin" / "notify-send"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    monkeypatch.setattr(sys, "platform", "linux")
    alert = {"id": 1, "zone": "quota", "from": "warn", "to": "critical", "value_pct": 91.5, "window": "5h",
             "session_id": None, "direction": "up"}
    assert guard_hooks.notify(alert) is True
    assert calls.read_text().strip() == "-u critical relay guard quota warn -> critical at 91.5% (5h)"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert guard_hooks.notify(alert) is False


@pytest.mark.parametrize("model, window", [
    ("claude-opus-4-5", 200_000), ("claude-sonnet-4-5-20250929", 200_000), ("claude-sonnet-4-5[1m]", 1_000_000),
    ("claude-opus-4-6", 1_000_000), ("claude-opus-5-5", 1_000_000), ("claude-sonnet-5", 1_000_000),
    ("claude-haiku-4-5", 200_000), ("claude-haiku-5-5", 1_000_000), ("claude-fable-5-1", 1_000_000),
    ("claude-3-5-sonnet-20241022", 200_000), ("gemini-2.5-pro", 1_048_576), ("gpt-5-codex", 400_000),
])
def test_context_windows_follow_the_model_generation(model, window):
    assert guard.context_window(model) == window
