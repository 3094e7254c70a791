"""Cache forensics through a real relay with --history and the fake upstream: constructed request
sequences, each break classified by cause, its cost computed here by hand (Sonnet 4.5: input $3,
5m write $3.75, 1h write $6, read $0.30 per million); the window split by MCP server."""
import json
import subprocess
import sys

import pytest
import requests

from relay import paths
from relay.sessions.attribution import ERROR
from tests.proxy.conftest import wait_history
from tests.proxy.stages.capture.forensics import cache_of as _cache
from tests.proxy.stages.capture.forensics import one_break, plant_gap, relay, upstream  # noqa: F401  (module fixtures)
from tests.relay_process import ROOT, RelayProcess

MODEL = "claude-sonnet-4-5"
EPH = {"type": "ephemeral"}
SUMMARY = "This session is being continued from a previous conversation that ran out of context."
TOOLS = [{"name": "Bash", "description": "run a command", "input_schema": {"type": "object"}},
         {"name": "mcp__linear__list_issues", "description": "list issues", "input_schema": {"type": "object"}}]
SYSTEM = [{"type": "text", "text": "You are Claude Code. Be brief.", "cache_control": EPH}]



def u(text, mark=False):
    block = {"type": "text", "text": text, **({"cache_control": EPH} if mark else {})}
    return {"role": "user", "content": [block]}


def a(text):
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}


def _usage(read=0, write_5m=0, write_1h=0, input_tokens=12):
    return {"input_tokens": input_tokens, "cache_read_input_tokens": read,
            "cache_creation_input_tokens": write_5m + write_1h,
            "cache_creation": {"ephemeral_5m_input_tokens": write_5m, "ephemeral_1h_input_tokens": write_1h}}


def _send(relay, sid, messages, usage, tools=TOOLS, system=SYSTEM, model=MODEL):
    body = {"model": model, "max_tokens": 64, "stream": True, "metadata": {"user_id": json.dumps({"session_id": sid})},
            "tools": tools, "system": system, "messages": messages}
    r = requests.post(f"{relay.url}/v1/messages", data=json.dumps(body),
                      headers={"content-type": "application/json", "x-fake-usage": json.dumps(usage)}, timeout=10)
    assert r.status_code == 200


def test_an_mcp_server_reconnecting_with_one_more_tool(relay):
    sid = "cf-tools"
    _send(relay, sid, [u("hi", True)], _usage(write_5m=20000))
    more = TOOLS + [{"name": "mcp__linear__create_issue", "description": "new", "input_schema": {"type": "object"}}]
    _send(relay, sid, [u("hi"), a("hello"), u("next", True)], _usage(write_5m=22000), tools=more)
    b = one_break(relay, sid)
    assert b["cause"] == "tools_changed" and b["turn"] == 1
    assert b["detail"]["added"] == [{"name": "mcp__linear__create_issue", "server": "linear"}]
    assert b["detail"]["removed"] == [] and b["detail"]["reordered"] is False and b["detail"]["servers"] == ["linear"]
    assert b["tokens"] == 20000 and b["ttl"] == "5m"
    assert b["dollars"] == pytest.approx(20000 * (3.75 - 0.30) / 1e6)


def test_a_system_prompt_change_names_the_block_and_the_diff(relay):
    sid = "cf-system"
    _send(relay, sid, [u("hi", True)], _usage(write_1h=20000))
    changed = [{"type": "text", "text": "You are Claude Code. Be thorough.", "cache_control": EPH}]
    _send(relay, sid, [u("hi"), a("hello"), u("next", True)], _usage(write_1h=21000), system=changed)
    b = one_break(relay, sid)
    assert b["cause"] == "system_changed" and b["detail"]["block"] == 0
    assert "brief" in b["detail"]["diff"]["before"] and "thorough" in b["detail"]["diff"]["after"]
    assert b["ttl"] == "1h" and b["dollars"] == pytest.approx(20000 * (6.00 - 0.30) / 1e6)


def test_an_edited_earlier_message(relay):
    sid = "cf-edit"
    _send(relay, sid, [u("first question"), a("one"), u("second", True)], _usage(write_5m=20000))
    _send(relay, sid, [u("first question, edited"), a("one"), u("second"), a("two"), u("third", True)],
          _usage(write_5m=21000))
    b = one_break(relay, sid)
    assert b["cause"] == "messages_edited"
    assert b["detail"]["message"] == 0 and b["detail"]["kind"] == "rewritten" and b["detail"]["role"] == "user"
    assert b["dollars"] == pytest.approx(20000 * (3.75 - 0.30) / 1e6)


def test_a_six_minute_gap_past_a_5m_write(relay, monkeypatch):
    sid = "cf-ttl"
    _send(relay, sid, [u("q", True)], _usage(write_5m=20000))
    _send(relay, sid, [u("q"), a("one"), u("again", True)], _usage(write_5m=20500))
    plant_gap(relay, monkeypatch, sid, 1, 360)      # the user read for six minutes between the two requests
    b = one_break(relay, sid)
    assert b["cause"] == "ttl_expired" and b["detail"] == {"gap_s": 360.0, "ttl": "5m"}
    assert b["dollars"] == pytest.approx(20000 * (3.75 - 0.30) / 1e6)


def test_a_compaction_pays_the_shorter_rewrite_and_the_rest_as_input(relay):
    sid = "cf-compact"
    _send(relay, sid, [u("q1"), a("one"), u("q2"), a("two"), u("q3", True)], _usage(write_5m=20000))
    _send(relay, sid, [u(SUMMARY), a("ok"), u("go on", True)], _usage(write_5m=5000))
    b = one_break(relay, sid)
    assert b["cause"] == "messages_edited" and b["detail"]["kind"] == "compaction" and b["detail"]["message"] == 0
    assert b["tokens"] == 20000
    assert b["dollars"] == pytest.approx((5000 * (3.75 - 0.30) + 15000 * (3.00 - 0.30)) / 1e6)


def test_a_moved_breakpoint_with_no_change_and_a_clean_read(relay):
    sid = "cf-moved"
    msgs = [u("q1"), a("one"), u("q2", True)]
    _send(relay, sid, msgs, _usage(write_5m=20000))
    _send(relay, sid, [u("q1", True), a("one"), u("q2")], _usage(write_5m=20000))           # moved back
    _send(relay, sid, [u("q1"), a("one"), u("q2"), a("two"), u("q3", True)], _usage(read=20000, write_5m=800))
    data = _cache(relay, sid, 3)
    [b] = data["breaks"]           # the third request read everything the second wrote: no break
    assert b["turn"] == 1 and b["cause"] == "breakpoint_moved"
    assert b["dollars"] == pytest.approx(20000 * (3.75 - 0.30) / 1e6)
    assert data["totals"]["breaks"] == 1 and data["totals"]["by_cause"] == {
        "breakpoint_moved": {"breaks": 1, "tokens": 20000}}


def test_a_model_switch(relay):
    sid = "cf-model"
    _send(relay, sid, [u("q", True)], _usage(write_5m=20000))
    _send(relay, sid, [u("q"), a("one"), u("r", True)], _usage(write_5m=20500), model="claude-haiku-4-5")
    b = one_break(relay, sid)
    assert b["cause"] == "model_changed" and b["detail"] == {"before": MODEL, "after": "claude-haiku-4-5"}
    assert b["dollars"] == pytest.approx(20000 * (1.25 - 0.10) / 1e6)


def _tool(server, index, size):
    return {"name": f"mcp__{server}__t{index}", "description": "d" * size, "input_schema": {"type": "object"}}


def test_window_by_mcp_server_within_the_documented_error_and_findings(relay):
    sid = "cf-servers"
    tools = ([_tool("linear", i, 4000) for i in range(6)] + [_tool("github", i, 2000) for i in range(4)]
             + [_tool("slack", 0, 1000), _tool("slack", 0, 1000)])     # a repeated name counts once
    chars = {s: sum(len(json.dumps(t)) for t in tools if f"__{s}__" in t["name"]) for s in ("linear", "github")}
    chars["slack"] = len(json.dumps(tools[-1]))
    system, text = "S" * 3000, "x" * 2000
    total = sum(chars.values()) + len(system) + len(text)
    measured = total // 3          # this request tokenised at 3 characters per token
    for turn in range(5):          # four breaks: more than the finding's 3
        _send(relay, sid, [u(text, True)], _usage(write_5m=measured - 12, input_tokens=12), tools=tools,
              system=[{"type": "text", "text": system, "cache_control": EPH}] if turn % 2 else system)
    data = _cache(relay, sid, 5)
    window = data["window"]
    assert window["measured"] == measured and window["window_tokens"] == measured
    for server, n in chars.items():
        true_share = 100 * n / total
        assert abs(window["servers"][server]["percent"] - true_share) <= ERROR * true_share
    assert window["servers"]["slack"]["tools"] == 1
    assert window["top"]["server"] == "linear"
    kinds = {f["kind"] for f in data["findings"]}
    assert kinds == {"cache_breaks", "mcp_heavy"}
    out = subprocess.run([sys.executable, str(ROOT / "relay.py"), "history", "cache", sid, "--format", "plain"],
                         capture_output=True, text=True, env=relay.env, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "4 cache breaks" in out.stdout and "mcp linear" in out.stdout and "finding mcp_heavy" in out.stdout


def test_cli_json_and_the_history_page_mark_each_break(relay):
    sid = "cf-tools"
    wait_history(relay.url, sid, 2)
    out = subprocess.run([sys.executable, str(ROOT / "relay.py"), "history", "cache", sid, "--format", "json"],
                         capture_output=True, text=True, env=relay.env, timeout=30)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] and [b["cause"] for b in data["breaks"]] == ["tools_changed"]
    page = requests.get(f"{relay.url}/history/{sid}", timeout=10).text
    assert 'class="marker cache-break"' in page and "cache break: tools_changed · 20,000 tokens · $0.0690" in page
    missing = subprocess.run([sys.executable, str(ROOT / "relay.py"), "history", "cache", "nope"],
                             capture_output=True, text=True, env=relay.env, timeout=30)
    assert missing.returncode != 0 and "no captured history" in missing.stderr
    assert requests.get(f"{relay.url}/api/v1/history/nope/cache", timeout=5).status_code == 404


def test_the_window_by_server_shows_on_cards_top_status_line_page_and_mcp(relay, monkeypatch):
    sid = "cf-shown"
    tools = [_tool("linear", i, 4000) for i in range(3)] + [_tool("github", 0, 1000)]
    _send(relay, sid, [u("x" * 1000, True)], _usage(write_5m=4000), tools=tools, system="S" * 1000)
    wait_history(relay.url, sid, 1)
    window = requests.get(f"{relay.url}/api/v1/history/{sid}/cache", timeout=10).json()["window"]
    share = f"linear {window['servers']['linear']['percent']:.0f} %"
    assert window["top"]["server"] == "linear" and window["servers"]["linear"]["percent"] > 50
    assert share in requests.get(f"{relay.url}/display/", timeout=10).text
    assert share in requests.get(f"{relay.url}/history/{sid}", timeout=10).text
    run = (lambda *args, **kw: subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], capture_output=True,
                                              text=True, env=relay.env, timeout=30, **kw))
    line = run("statusline", "--no-color", input=json.dumps({"session_id": sid}))
    assert share in line.stdout, line.stdout + line.stderr
    top = run("top", "--once", "--port", str(relay.port), "--width", "250")
    assert share in top.stdout, top.stdout + top.stderr
    monkeypatch.setenv("RELAY_HOME", relay.env["RELAY_HOME"])
    from relay.mcp import tools as mcp_tools
    from relay.store import Store
    store = Store(paths.db_path())
    try:
        answer = mcp_tools.cache_forensics(store, sid)
    finally:
        store.close()
    assert answer["window"]["top"]["server"] == "linear" and answer["breaks"] == []


def test_thresholds_are_settings_for_the_cli_the_api_and_the_page(relay, upstream):
    sid = "cf-servers"        # four breaks and linear above 30 %: both findings at the defaults
    wait_history(relay.url, sid, 5)

    def cli(**env):
        out = subprocess.run([sys.executable, str(ROOT / "relay.py"), "history", "cache", sid, "--format", "json"],
                             capture_output=True, text=True, env={**relay.env, **env}, timeout=30)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    assert {f["kind"] for f in cli()["findings"]} == {"cache_breaks", "mcp_heavy"}
    relaxed = cli(RELAY_CACHE_BREAKS_LIMIT="4", RELAY_MCP_HEAVY_PERCENT="90")
    assert relaxed["findings"] == [] and len(relaxed["breaks"]) == 4
    assert relaxed["thresholds"] == {"min_shortfall": 1024, "breaks": 4, "mcp_share": 90.0}
    strict = cli(RELAY_CACHE_BREAKS_LIMIT="1", RELAY_MCP_HEAVY_PERCENT="95")
    assert [f["kind"] for f in strict["findings"]] == ["cache_breaks"]
    measured = strict["breaks"][0]["tokens"]
    above = cli(RELAY_CACHE_BREAK_MIN_TOKENS=str(measured + 1))
    assert above["breaks"] == [] and above["thresholds"]["min_shortfall"] == measured + 1

    # A second relay on the same store, started with the settings: its API and page use them.
    env = {**relay.env, "RELAY_CACHE_BREAK_MIN_TOKENS": "50000", "RELAY_CACHE_BREAKS_LIMIT": "7"}
    other = RelayProcess(upstream.url, "--history", env=env).start()
    try:
        api = requests.get(f"{other.url}/api/v1/history/{sid}/cache", timeout=10).json()
        assert api["breaks"] == [] and api["thresholds"]["breaks"] == 7
        assert 'class="marker cache-break"' not in requests.get(f"{other.url}/history/cf-tools", timeout=10).text
    finally:
        other.stop()
    assert 'class="marker cache-break"' in requests.get(f"{relay.url}/history/cf-tools", timeout=10).text
