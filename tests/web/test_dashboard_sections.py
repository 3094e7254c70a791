"""The dashboard's CLI status, guard and delegation sections: presenters on plain data, the
discovery cache, a real relay's /api/v1/dashboard and page after a guard alert and a recorded
delegation, and the guard fragment the SSE stream sends when an alert fires."""
import json
import sys
import time

import requests

from relay.orch import discover
from relay.present import dashboard as dashboard_view
from relay.present import live as live_view
from relay.present import orchestration
from relay.store.writes import record_delegation
from tests.orch import fake_cli
from tests.proxy.conftest import messages_body
from tests.web.test_stream import Reader, subscribers, wait_for

THRESHOLDS = (50.0, 70.0, 85.0)


def delegation_row(n, cli="codex", status="ok", task="fix the <b>tests</b>", ts=None):
    return {"id": f"d{n}", "task_id": f"t{n}", "attempt": 1, "ts": ts or time.time(), "task": task, "cli": cli,
            "strategy": "explicit", "cwd": "/w", "status": status, "exit_code": 0 if status == "ok" else 3,
            "duration_ms": 1000.0 * n, "output_bytes": 10, "input_tokens": 5, "output_tokens": 3, "total_tokens": 8,
            "error": None}


def counting_cli(bin_dir, name, version):
    """A fake CLI whose every `--version` call appends a line to bin_dir/<name>.versions."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!{sys.executable}\nimport sys\n"
                    f"open({str(bin_dir / (name + '.versions'))!r}, 'a').write('v\\n')\n"
                    f"print('{name} {version}')\n")
    path.chmod(0o755)
    return bin_dir / (name + ".versions")


def spawned(counter):
    return len(counter.read_text().splitlines()) if counter.exists() else 0


# --- presenters on plain data ------------------------------------------------------------------

def test_card_measures_context_against_the_models_window_with_the_guards_tier():
    row = {"session_id": "s1", "requests": 3, "last_seen": 100.0, "models": []}
    usage = {"input_tokens": 1000, "cache_read_input_tokens": 700_000, "cache_creation_input_tokens": 9000}
    big = live_view.live_session(row, {"model": "claude-opus-4-6", **usage}, thresholds=THRESHOLDS)
    assert big["context_window"] == 1_000_000 and big["context_pct"] == 71.0 and big["context_tier"] == "warn"
    # the same prompt on a 200k model would overflow its window; an older Sonnet's 200k: 300 % critical
    old = live_view.live_session(row, {"model": "claude-sonnet-4-5", **usage}, thresholds=THRESHOLDS)
    assert old["context_window"] == 200_000 and old["context_tier"] == "critical"
    gpt = live_view.live_session(row, {"model": "gpt-5", "input_tokens": 100_000}, thresholds=THRESHOLDS)
    assert gpt["context_window"] == 400_000 and gpt["context_pct"] == 25.0 and gpt["context_tier"] == "ok"
    # the tier is taken on the guard's own rounding (2 places): 49.96 % shows as 50.0 but is no notice yet
    edge = live_view.live_session(row, {"model": "gpt-5", "input_tokens": 199_840}, thresholds=THRESHOLDS)
    assert edge["context_pct"] == 50.0 and edge["context_tier"] == "ok"
    none = live_view.live_session(row, None, thresholds=THRESHOLDS)
    assert none["context_pct"] is None and none["context_tier"] is None and none["context_window"] is None


def test_delegation_history_and_sections():
    stats = [{"cli": "codex", "attempts": 4, "ok": 3, "avg_duration_ms": 1234.567},
             {"cli": "gemini", "attempts": 1, "ok": None, "avg_duration_ms": None}]
    history = orchestration.delegation_history([delegation_row(1)], stats)
    assert history["recent"][0]["task"] == "fix the <b>tests</b>" and "stderr" not in history["recent"][0]
    assert [(s["cli"], s["success_rate"], s["avg_duration_ms"]) for s in history["stats"]["by_cli"]] == [
        ("codex", 0.75, 1234.6), ("gemini", 0.0, None)]
    assert history["stats"]["total"] == {"attempts": 5, "ok": 3}
    assert dashboard_view.section(history)["available"] is True
    assert dashboard_view.section(None) == {"available": False}


# --- the discovery cache ---------------------------------------------------------------------

def test_discovery_is_reused_for_the_ttl_per_path():
    now, runs = [0.0], []
    cache = discover.Cache(ttl=60, clock=lambda: now[0], run=lambda env: runs.append(env["PATH"]) or [env["PATH"]])
    assert cache.get({"PATH": "/a"}) == ["/a"] and cache.get({"PATH": "/a"}) == ["/a"]
    now[0] = 59.9
    cache.get({"PATH": "/a"})
    assert runs == ["/a"]
    cache.get({"PATH": "/b"})                  # another PATH may find other binaries
    now[0] = 60.0
    cache.get({"PATH": "/a"})
    assert runs == ["/a", "/b", "/a"]


def test_rendering_the_dashboard_runs_each_version_once_per_minute(client, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    counter = counting_cli(bin_dir, "codex", "0.169.0")
    monkeypatch.setenv("PATH", fake_cli.path_with(bin_dir))
    for _ in range(3):
        page = client.get("/dashboard/")
        assert page.status_code == 200
        body = client.get("/api/v1/dashboard").get_json()["dashboard"]
    assert spawned(counter) == 1
    html = page.get_data(as_text=True)
    assert "0.169.0" in html and "not available in this build" not in html
    codex = next(c for c in body["cli_status"]["clis"] if c["name"] == "codex")
    assert body["cli_status"]["available"] and codex["version"] == "0.169.0"
    assert body["cli_status"]["installed"] == ["codex"]


def test_a_failing_section_says_unavailable_and_the_rest_renders(client, monkeypatch):
    def broken():
        raise OSError("discovery failed")
    monkeypatch.setattr(discover, "discover", broken)
    body = client.get("/api/v1/dashboard").get_json()["dashboard"]
    assert body["cli_status"] == {"available": False}
    assert body["guard"]["available"] and body["delegations"]["available"]
    assert "CLI status could not be read" in client.get("/dashboard/").get_data(as_text=True)


def test_korean_dashboard_names_the_tiers(client):
    html = client.get("/dashboard/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "가드" in html and "정상" in html and "아직 위임 기록이 없습니다" in html


# --- a real relay ------------------------------------------------------------------------------

from tests.orch.test_api import served  # noqa: E402,F401  (a relay with a fake codex on PATH and a key in env)


def send(relay, util, session="sess-guard"):
    response = requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=True), timeout=10,
                             headers={"content-type": "application/json", "x-api-key": "sk-test",
                                      "x-fake-utilization": util, "x-claude-code-session-id": session})
    assert response.status_code == 200 and b"message_stop" in response.content


def test_dashboard_api_and_page_show_guard_alerts_delegations_and_cli_status(served, store):
    send(served, "5h=0.8,7d=0.1")                                     # 80 % >= 75: quota warn
    store.write(record_delegation(delegation_row(1, task="refactor <script>alert(1)</script>")))
    store.write(record_delegation(delegation_row(2, cli="gemini", status="failed")))
    deadline = time.time() + 10
    while True:
        body = requests.get(f"{served.url}/api/v1/dashboard", timeout=30).json()["dashboard"]
        if body["guard"]["alerts"] or time.time() > deadline:
            break
        time.sleep(0.05)
    guard = body["guard"]
    assert guard["available"] and guard["source"] == "live"
    assert guard["zones"] == {"quota": "warn", "context": "ok"} and guard["quota"]["value_pct"] == 80.0
    (alert,) = guard["alerts"]
    assert (alert["zone"], alert["from"], alert["to"]) == ("quota", "ok", "warn")
    assert guard["thresholds"]["quota"] == {"notice": 50.0, "warn": 75.0, "critical": 90.0}
    # the same state as the guard's own endpoint
    assert requests.get(f"{served.url}/api/v1/guard", timeout=5).json()["guard"]["alerts"] == guard["alerts"]

    delegations = body["delegations"]
    assert delegations["available"] and [d["id"] for d in delegations["recent"]] == ["d2", "d1"]
    assert {s["cli"]: s["success_rate"] for s in delegations["stats"]["by_cli"]} == {"codex": 1.0, "gemini": 0.0}

    codex = next(c for c in body["cli_status"]["clis"] if c["name"] == "codex")
    assert codex["version"] == "0.169.0" and codex["auth"]["state"] == "env"

    html = requests.get(f"{served.url}/dashboard/", timeout=30).text
    assert "sk-secret-value" not in html and "sk-secret-value" not in json.dumps(body)
    assert "not available in this build" not in html
    assert 'id="guard-alert-1"' in html and "80.0%" in html
    assert "refactor &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "0.169.0" in html and "API key in environment" in html


def test_dashboard_stream_sends_the_guard_fragment_when_an_alert_fires(served):
    reader = Reader(served.url + "/api/v1/events?page=dashboard&heartbeat=0.2")
    try:
        assert wait_for(lambda: subscribers(served) == 1)
        send(served, "5h=0.95,7d=0.1")                                # 95 %: ok -> critical at once
        assert wait_for(lambda: any(json.loads(e[2])["kind"] == "guard/alert" for e in list(reader.events)))
        frame = next(json.loads(e[2]) for e in list(reader.events) if json.loads(e[2])["kind"] == "guard/alert")
        guard = next(f for f in frame["fragments"] if f["id"] == "guard")
        assert 'id="guard-alert-1"' in guard["html"] and "critical" in guard["html"]
        assert "tier-critical" in guard["html"] and "95.0%" in guard["html"]
    finally:
        reader.close()
