"""Session text reaches the terminal escaped: OSC 0 (window title), OSC 52 (clipboard write),
ESC[2J (clear screen), BEL and 8-bit C1 controls from a session file or a recorded request are
printed as visible `\\xNN` escapes by `relay scan`, `relay history show` (--format plain and
rich; JSON escapes them as \\uNNNN) and `relay top`."""
import json
import os
from pathlib import Path

import pytest
import requests
from rich.console import Console

from relay.present.terminal import safe_text
from relay.tui import feed as feeds
from relay.tui.top import render
from tests.proxy.conftest import messages_body, wait_rows
from tests.run_relay import run_relay

TITLE = "\x1b]0;pwned-title\x07"
CLIPBOARD = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
CLEAR = "\x1b[2J"
C1_CSI = "\x9b31m"
HOSTILE = f"a{TITLE}b{CLIPBOARD}c{CLEAR}d{C1_CSI}e"
RAW = ("\x1b", "\x07", "\x9b")


def _clean(text):
    return not any(c in text for c in RAW)


def _hostile_session(home):
    project = Path(home) / "projects" / f"-work{CLEAR}"
    project.mkdir(parents=True)
    name = f"s{TITLE}1"
    lines = [{"type": "user", "uuid": "u1", "sessionId": name, "cwd": f"/w{CLIPBOARD}",
              "timestamp": "2026-11-01T00:00:00Z", "message": {"role": "user", "content": HOSTILE}},
             {"type": "assistant", "uuid": "a1", "sessionId": name, "timestamp": "2026-11-01T00:00:01Z",
              "message": {"id": "m1", "role": "assistant", "model": f"claude{C1_CSI}", "content": [
                  {"type": "tool_use", "id": "t1", "name": f"Bash{TITLE}", "input": {"command": HOSTILE}}],
                  "usage": {"input_tokens": 1, "output_tokens": 1}}},
             {"type": "user", "uuid": "u2", "sessionId": name, "timestamp": "2026-11-01T00:00:02Z",
              "message": {"role": "user", "content": f"next {CLEAR}"}},
             {"type": "assistant", "uuid": "a2", "sessionId": name, "timestamp": "2026-11-01T00:00:03Z",
              "message": {"id": "m2", "role": "assistant", "model": "claude-x",
                          "content": [{"type": "text", "text": HOSTILE}], "usage": {"input_tokens": 1,
                                                                                 "output_tokens": 1}}}]
    (project / f"{name}.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")


def test_safe_text_escapes_controls_and_keeps_layout():
    assert safe_text(HOSTILE) == "a\\x1b]0;pwned-title\\x07b\\x1b]52;c;ZWNobyBwd25lZA==\\x07c\\x1b[2Jd\\x9b31me"
    assert safe_text("line\n\tnext") == "line\n\tnext"


@pytest.mark.parametrize("fmt", ["plain", "rich", "json"])
def test_scan_prints_session_text_escaped(fmt):
    _hostile_session(os.environ["RELAY_CLAUDE_HOME"])
    done = run_relay("scan", "--format", fmt, COLUMNS="400")   # rich folds long values in narrow tables
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr   # 1: an error finding
    assert _clean(done.stdout), done.stdout
    assert "pwned-title" in done.stdout      # shown, not obeyed
    if fmt != "json":
        assert "\\x1b]0;pwned-title\\x07" in done.stdout


@pytest.mark.parametrize("fmt", ["plain", "rich", "json"])
def test_history_show_prints_captured_text_escaped(fmt, tmp_path, upstream):
    from tests.relay_process import RelayProcess
    session = f"hist{TITLE}"
    body = messages_body(stream=False, metadata={"user_id": json.dumps({"session_id": session})},
                         messages=[{"role": "user", "content": HOSTILE}])
    with RelayProcess(upstream.url, "--history") as relay:
        requests.post(relay.url + "/v1/messages", data=body, timeout=30,
                      headers={"content-type": "application/json", "x-api-key": "sk-ant-test-k",
                               "anthropic-version": "2023-06-01"})
        wait_rows(relay.url, 1)
    for args in (("history", "show", session), ("history", "show", session, "--turn", "0"), ("history", "list")):
        done = run_relay(*args, "--format", fmt, COLUMNS="400")
        assert done.returncode == 0, (args, done.stderr)
        assert _clean(done.stdout), (args, done.stdout)
        if args[1] == "list" or "--turn" in args:     # the turns table shows no text
            assert "pwned-title" in done.stdout, (args, done.stdout)


def test_top_renders_session_text_escaped():
    session = {"session_id": f"s{TITLE}", "alive": True, "cli": f"claude{CLEAR}", "connection": [f"ssh{C1_CSI}"],
               "pid": 1, "cwd": f"/w{CLIPBOARD}", "turns": 1, "context_pct": 1.0}
    dash = {"summary": {"requests_today": 1, "in_flight": 0, "cost_today": 0.0, "cost_by_model": [
                {"model": f"m{TITLE}", "cost": 0.0, "requests": 1}], "unpriced": [f"u{CLEAR}"],
                        "error_rate_pct": 0.0, "errors_1h": 0, "requests_1h": 1, "cache_hit_pct": 0.0},
            "quota": {"source": "measured", "windows": []}, "sessions": [session],
            "guard": {"available": False}, "requests": []}
    exchanges = [{"id": "e1", "ts": 1_795_000_000.0, "model": f"claude{TITLE}", "status": 200, "outcome": "ok",
                  "duration_ms": 1.0, "input_tokens": 1, "output_tokens": 1, "cache_read_input_tokens": 0,
                  "cache_creation_input_tokens": 0}]
    snap = feeds.snapshot("live", "http://127.0.0.1:8083", dash, exchanges, 1_795_000_000.0)
    console = Console(record=True, width=200, color_system=None)
    console.print(render(snap))
    out = console.export_text()
    assert _clean(out), out
    assert "\\x1b]0;pwned-title" in out and "\\x1b[2J" in out
