"""/api/v1/cli/status and /api/v1/delegations on a real relay serve."""
import pytest
import requests

from relay.orch import routing
from tests.orch import fake_cli
from tests.relay_process import RelayProcess


@pytest.fixture
def served(tmp_path, monkeypatch, upstream, store):
    bin_dir = tmp_path / "bin"
    fake_cli.install(bin_dir, "codex", version="0.169.0")
    monkeypatch.setenv("PATH", fake_cli.path_with(bin_dir))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    process = RelayProcess(upstream.url).start()
    yield process
    process.stop()


def test_cli_status_names_credentials_without_their_values(served):
    body = requests.get(f"{served.url}/api/v1/cli/status", timeout=30).json()
    assert body["ok"] is True and body["installed"] == ["codex"]
    codex = next(c for c in body["clis"] if c["name"] == "codex")
    assert codex["version"] == "0.169.0" and codex["path"].endswith("/codex")
    assert codex["auth"] == {"state": "env", "env": ["OPENAI_API_KEY"], "files": []}
    assert "sk-secret-value" not in str(body)
    claude = next(c for c in body["clis"] if c["name"] == "claude")
    assert claude["installed"] is False and claude["auth"]["state"] == "none"


def test_delegations_filter_and_stats_and_bad_arguments(served, store):
    routing.delegate(store, "one", cli="codex")
    fake_cli.install(served.env["PATH"].split(":")[0], "codex", fake_cli.FAIL)
    routing.delegate(store, "two", cli="codex", fallback=False)
    url = f"{served.url}/api/v1"
    rows = requests.get(f"{url}/delegations", timeout=5).json()["delegations"]
    assert [(r["task"], r["status"]) for r in rows] == [("two", "failed"), ("one", "ok")]
    failed = requests.get(f"{url}/delegations", params={"status": "failed"}, timeout=5).json()["delegations"]
    assert [r["task"] for r in failed] == ["two"]
    [by_cli] = requests.get(f"{url}/delegations/stats", timeout=5).json()["stats"]["by_cli"]
    assert (by_cli["cli"], by_cli["attempts"], by_cli["ok"], by_cli["failed"], by_cli["success_rate"]) == \
           ("codex", 2, 1, 1, 0.5)
    bad = requests.get(f"{url}/delegations", params={"limit": "many"}, timeout=5)
    assert bad.status_code == 400 and bad.json() == {"ok": False, "status": 400,
                                                     "error": "limit must be a whole number, got 'many'"}
