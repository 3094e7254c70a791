"""`relay prices` and `relay cost` as a user runs them, and GET /api/v1/cost on a real relay."""
import json
import subprocess
import sys

import pytest
import requests

from tests.proxy.conftest import messages_body, wait_rows
from tests.relay_process import ROOT
from tests.session_homes import populate

# On SQLite, then on PostgreSQL (tests/conftest.py `backend`): the relay and `relay` commands it starts too.
pytestmark = pytest.mark.usefixtures("backend")


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_prices_command():
    shown = json.loads(run("prices", "--format", "json").stdout)
    assert shown["table_date"] and shown["unit"] == "per million tokens"
    opus = next(m for m in shown["models"] if m["model"] == "claude-opus-4-6")
    assert (opus["input"], opus["cache_write_5m"], opus["cache_write_1h"], opus["cache_read"]) == (5.0, 6.25, 10.0, 0.5)
    plain = run("prices").stdout
    assert "claude-opus-5-5" in plain and "claude-haiku-5-5" in plain and "gpt-5-codex" in plain


def test_cost_command_over_session_files():
    populate()
    done = run("cost", "--since", "2020-01-01", "--format", "json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    rows = {r["key"]: r for r in payload["rows"]}
    assert not rows["claude-opus-5-5"]["assumed"] and rows["claude-opus-5-5"]["cost"] > 0
    assert rows["gemini-3.8-flash"]["cost"] is None                     # the fixture's unknown model
    assert payload["unpriced"][0]["model"] == "gemini-3.8-flash"
    plain = run("cost", "--since", "2020-01-01", "--by", "day").stdout
    assert "2026-11-22" in plain and "unpriced: gemini-3.8-flash" in plain
    assert run("cost", "--since", "2020-01-01", "--format", "rich").returncode == 0


def test_cost_bad_since_is_a_clean_error():
    done = run("cost", "--since", "last tuesday")
    assert done.returncode == 2 and done.stderr.startswith("Error: --since") and "Traceback" not in done.stderr


def test_cost_api_envelope(relay, upstream):
    for _ in range(2):
        requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=False),
                      headers={"content-type": "application/json", "x-api-key": "k",
                               "anthropic-version": "2023-06-01"}, timeout=10)
    wait_rows(relay.url, 2)
    body = requests.get(f"{relay.url}/api/v1/cost", params={"since": "1h", "by": "model"}, timeout=10).json()
    assert body["ok"] is True
    row = body["cost"]["rows"][0]
    # fake upstream usage per request: 12 input, 7 output, 500 5m + 1000 1h writes, 3000 reads,
    # claude-opus-5-5 at 4 / 20 / 5 / 8 / 0.2: 48 + 140 + 2500 + 8000 + 600 = 11288 -> $0.011288
    assert (row["key"], row["requests"]) == ("claude-opus-5-5", 2)
    assert row["cost"] == pytest.approx(2 * 0.011288)
    assert row["tokens"]["cache_write_1h"] == 2000 and row["estimated_ttl_requests"] == 0
    bad = requests.get(f"{relay.url}/api/v1/cost", params={"by": "planet"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["ok"] is False
