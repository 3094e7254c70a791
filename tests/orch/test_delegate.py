"""Delegation with fake CLI executables: answers, failures, timeouts, fallback, routing, and the
delegations table behind /api/v1/delegations. The real Claude Code run is in test_claude_delegate.py."""
import json
import os
import subprocess
import sys
import time

import pytest

from relay.errors import RelayError
from relay.orch import routing
from relay.store import delegation_queries
from tests.orch import fake_cli
from tests.relay_process import ROOT


@pytest.fixture
def bin_dir(tmp_path, monkeypatch):
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setenv("PATH", fake_cli.path_with(directory))
    return directory


def rows(store):
    return list(reversed(store.read(lambda c: delegation_queries.list_delegations(c, limit=100))))


def test_explicit_cli_runs_in_cwd_and_is_recorded_with_tokens(store, bin_dir, tmp_path):
    fake_cli.install(bin_dir, "gemini")
    work = tmp_path / "work"
    work.mkdir()
    result = routing.delegate(store, "write tests for foo.py", cli="gemini", cwd=str(work))
    assert result["status"] == "ok" and result["cli"] == "gemini" and result["output"] == "done by gemini"
    [call] = fake_cli.calls(bin_dir, "gemini")
    assert call["argv"] == ["-p", "write tests for foo.py", "--output-format", "stream-json"]
    assert call["cwd"] == str(work) and call["trust"] == "true"
    [row] = rows(store)
    assert (row["cli"], row["strategy"], row["status"], row["exit_code"], row["attempt"]) == (
        "gemini", "explicit", "ok", 0, 1)
    assert (row["input_tokens"], row["output_tokens"], row["total_tokens"]) == (20, 10, 30)
    assert row["task"] == "write tests for foo.py" and row["cwd"] == str(work) and row["output_bytes"] > 0


def test_failure_falls_back_to_the_next_installed_cli(store, bin_dir):
    fake_cli.install(bin_dir, "claude", fake_cli.FAIL)
    fake_cli.install(bin_dir, "codex")
    result = routing.delegate(store, "task", strategy="first")
    assert [a["status"] for a in result["attempts"]] == ["failed", "ok"]
    assert result["cli"] == "codex" and result["output"] == "done by codex"
    first, second = rows(store)
    assert first["task_id"] == second["task_id"] and (first["attempt"], second["attempt"]) == (1, 2)
    assert first["exit_code"] == 3 and "status 3" in first["error"] and first["total_tokens"] is None
    assert second["total_tokens"] == 42


def test_no_fallback_stops_after_the_first_failure(store, bin_dir):
    fake_cli.install(bin_dir, "claude", fake_cli.FAIL)
    fake_cli.install(bin_dir, "codex")
    result = routing.delegate(store, "task", strategy="first", fallback=False)
    assert result["status"] == "failed" and len(result["attempts"]) == 1
    assert fake_cli.calls(bin_dir, "codex") == []


def test_timeout_kills_the_cli_and_its_children(store, bin_dir):
    fake_cli.install(bin_dir, "codex", fake_cli.HANG)
    fake_cli.install(bin_dir, "gemini")
    result = routing.delegate(store, "task", cli="codex", timeout=1.5)
    timed_out, fell_back = result["attempts"]
    assert timed_out["status"] == "timeout" and "1.5 s" in timed_out["error"] and timed_out["exit_code"] is None
    assert fell_back["cli"] == "gemini" and result["status"] == "ok"
    # No sleeper survives: the whole process group was killed.
    import psutil
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if fake_cli.HANG_MARK in (p.info["cmdline"] or [])]
    assert leftovers == []


def test_missing_cli_and_bad_input_are_clear_errors(store, bin_dir, tmp_path):
    with pytest.raises(RelayError, match="no AI coding CLI is installed"):
        routing.delegate(store, "task")
    with pytest.raises(RelayError, match="codex is not installed"):
        routing.delegate(store, "task", cli="codex", fallback=False)
    fake_cli.install(bin_dir, "claude")
    with pytest.raises(RelayError, match="unknown strategy"):
        routing.delegate(store, "task", strategy="fastest")
    with pytest.raises(RelayError, match="task is empty"):
        routing.delegate(store, "  ")
    with pytest.raises(RelayError, match="does not exist"):
        routing.delegate(store, "task", cwd=str(tmp_path / "nope"))


def test_round_robin_moves_past_the_last_cli_that_succeeded(store, bin_dir):
    for name in ("claude", "codex", "gemini"):
        fake_cli.install(bin_dir, name)
    chosen = [routing.delegate(store, f"t{i}", strategy="round_robin")["cli"] for i in range(4)]
    assert chosen == ["claude", "codex", "gemini", "claude"]


def test_cheapest_and_least_quota_read_relays_own_numbers(store, bin_dir):
    from tests.costs import rows as exchange_rows
    for name in ("claude", "codex", "gemini"):
        fake_cli.install(bin_dir, name)
    installed = ["claude", "codex", "gemini"]
    # Claude spent money today through relay, the others nothing: it goes last.
    exchange_rows.add(store, time.time(), input_tokens=1_000_000, output_tokens=100_000)
    assert routing.order("cheapest", installed, store) == ["codex", "gemini", "claude"]
    # Claude's measured 5h use is 12%; codex and gemini were never measured and go after it.
    exchange_rows.add(store, time.time(), ratelimit={"anthropic-ratelimit-unified-5h-utilization": "0.12",
                                                     "anthropic-ratelimit-unified-status": "allowed"})
    assert routing.quota_used(store)["claude"] == pytest.approx(12.0)
    assert routing.order("least_quota", installed, store) == ["claude", "codex", "gemini"]


def test_cli_command_prints_the_answer_and_exit_status(bin_dir, tmp_path):
    fake_cli.install(bin_dir, "claude", fake_cli.FAIL)
    fake_cli.install(bin_dir, "codex")

    def run(*args):
        return subprocess.run([sys.executable, str(ROOT / "relay.py"), "delegate", *args], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL, env=dict(os.environ))
    done = run("write tests for foo.py")
    assert done.returncode == 0 and done.stdout.strip() == "done by codex"
    assert "[claude: failed" in done.stderr and "[codex: ok" in done.stderr
    done = run("--cli", "claude", "--no-fallback", "--format", "json", "x")
    assert done.returncode == 1 and json.loads(done.stdout)["attempts"][0]["exit_code"] == 3
    done = run("--cli", "gemini", "--no-fallback", "x")
    assert done.returncode == 2 and "Error: gemini is not installed" in done.stderr and "Traceback" not in done.stderr
