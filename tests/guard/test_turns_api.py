"""GET /api/v1/turns and /api/v1/turns/<session_id> on a real relay in front of the fake upstream."""
import shutil
import subprocess
import sys

import pytest
import requests

from tests.costs.report_sessions import write
from tests.proxy.conftest import messages_body, relay, upstream, wait_rows  # noqa: F401  (fixtures)
from tests.relay_process import ROOT
from tests.session_homes import DATA


def test_turns_from_proxy_rows_with_cost_fill_and_zone(relay):
    for session in ("s-1", "s-1", "s-2"):
        response = requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=True),
                                 headers={"content-type": "application/json", "x-api-key": "sk-test",
                                          "x-claude-code-session-id": session}, timeout=10)
        assert response.status_code == 200
    wait_rows(relay.url, 3)
    turns = requests.get(f"{relay.url}/api/v1/turns", params={"limit": 2}, timeout=5).json()["turns"]
    assert [t["session_id"] for t in turns] == ["s-2", "s-1"]
    turn = turns[0]
    # the fake usage: 12 in, 7 out, 500 5m + 1000 1h writes, 3000 reads; claude-opus-5-5 at
    # claude-opus-5-5 (4 / 20 / 5 / 8 / 0.2): 48 + 140 + 2500 + 8000 + 600 = 11288 -> $0.011288
    assert turn["tokens"] == {"input": 12, "output": 7, "cache_write_5m": 500, "cache_write_1h": 1000,
                              "cache_read": 3000}
    assert turn["cost"] == pytest.approx(0.011288)
    # prompt 12 + 1500 + 3000 = 4512 of Opus 5.5's 1M = 0.45 %
    assert (turn["prompt_tokens"], turn["context_pct"], turn["zone"], turn["source"]) == (4512, 0.45, "ok", "proxy")
    one = requests.get(f"{relay.url}/api/v1/turns/s-1", timeout=5).json()
    assert one["session_id"] == "s-1" and len(one["turns"]) == 2 and one["zone"] == "ok"
    assert one["total"]["cost"] == pytest.approx(0.022576) and one["total"]["tokens"]["cache_write_1h"] == 2000
    missing = requests.get(f"{relay.url}/api/v1/turns/nope", timeout=5)
    assert missing.status_code == 404 and missing.json() == {
        "ok": False, "error": "no turns recorded for session 'nope'", "status": 404}
    bad = requests.get(f"{relay.url}/api/v1/turns", params={"limit": 0}, timeout=5)
    assert bad.status_code == 400


def test_session_turns_fall_back_to_the_session_index(relay):
    shutil.copyfile(DATA / "claude" / "session-tool-bash.jsonl",
                    write("c6591387-3c88-4bda-9ab0-808028906ae9", [], project="-scratch-work2"))
    indexed = subprocess.run([sys.executable, str(ROOT / "relay.py"), "report", "daily"], capture_output=True,
                             text=True, timeout=60)
    assert indexed.returncode == 0, indexed.stderr
    body = requests.get(f"{relay.url}/api/v1/turns/c6591387-3c88-4bda-9ab0-808028906ae9", timeout=5).json()
    assert [t["source"] for t in body["turns"]] == ["file", "file"]
    # each: 12 in, 7 out, 1500 5m writes, 3000 reads at claude-opus-5-5 (4 / 20 / 5 / 0.2) -> $0.008288
    assert [t["cost"] for t in body["turns"]] == [pytest.approx(0.008288)] * 2
    assert body["turns"][0]["at"] >= body["turns"][1]["at"]          # newest first
