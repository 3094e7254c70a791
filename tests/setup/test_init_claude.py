"""The real Claude Code (pinned in tests/real_clients.py) in a throwaway HOME after `relay init
--skip-server`: `claude mcp list` starts `relay mcp` and reports it connected, `claude -p` reaches
the fake upstream through relay with no ANTHROPIC_BASE_URL in its environment (settings.json has
it), and `relay delegate --cli claude` runs it and records the delegation."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import real_clients as clients
from tests.fake_upstream import OUTPUT_TOKENS, TEXT
from tests.proxy.conftest import wait_rows
from tests.relay_process import ROOT

KEY = "sk-ant-test"


@pytest.fixture(scope="module")
def claude_bin():
    return clients.claude_code()


def claude_env(claude_bin, tmp_path):
    tmp = tmp_path / "cc-tmp"
    tmp.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k.startswith("RELAY_") or k in ("HOME", "LANG")}
    env.update(PATH=os.pathsep.join([str(Path(claude_bin).parent), clients.BASE_PATH]), TMPDIR=str(tmp),
               ANTHROPIC_API_KEY=KEY, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", DISABLE_TELEMETRY="1",
               DISABLE_AUTOUPDATER="1")
    return env


def run(argv, env, cwd, timeout=120):
    done = subprocess.run(argv, env=env, cwd=str(cwd), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)
    return done


def test_init_then_claude_mcp_list_and_claude_p_through_relay(claude_bin, relay, upstream, tmp_path):
    env = claude_env(claude_bin, tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    relay_cmd = [sys.executable, str(ROOT / "relay.py")]

    done = run([*relay_cmd, "init", "--skip-server", "--port", str(relay.port), "--format", "json"], env, project)
    assert done.returncode == 0, done.stderr
    steps = {s["step"]: s for s in json.loads(done.stdout)["steps"]}
    assert "claude" in steps["detect"]["detail"] and steps["claude_mcp"]["status"] == "changed"
    assert steps["health"]["status"] == "unchanged"   # the relay under test answers on that port

    from relay.orch import discover
    probe = discover.probe("claude", environ=env)
    assert probe["installed"] and probe["version"] == clients.CLAUDE_CODE_VERSION
    assert probe["base_url"] == relay.url and probe["through_relay"] is True
    assert probe["auth"] == {"state": "env", "env": ["ANTHROPIC_API_KEY"], "files": []}

    listed = run([str(claude_bin), "mcp", "list"], env, project)
    assert listed.returncode == 0, listed.stderr
    [line] = [ln for ln in listed.stdout.splitlines() if ln.startswith("relay:")]
    assert "Connected" in line and "relay.py mcp" in line, listed.stdout

    done = run([str(claude_bin), "-p", "say hi", "--output-format", "json"], env, project)
    assert done.returncode == 0, done.stderr + done.stdout
    answer = json.loads(done.stdout)
    assert answer["result"] == TEXT
    rows = wait_rows(relay.url, 1, session_id=answer["session_id"])
    assert rows[0]["output_tokens"] == OUTPUT_TOKENS and rows[0]["status"] == 200

    before = len(upstream.requests)
    done = run([*relay_cmd, "delegate", "--cli", "claude", "--no-fallback", "--format", "json", "say hi"], env,
               project)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    [attempt] = result["attempts"]
    assert result["output"] == TEXT and attempt["cli"] == "claude" and attempt["status"] == "ok"
    # Claude Code's own usage total: every model turn (a tool round trip is two) through relay.
    turns = len(upstream.requests) - before
    assert turns >= 1
    assert (attempt["input_tokens"], attempt["output_tokens"]) == ((12 + 1500 + 3000) * turns, OUTPUT_TOKENS * turns)
    import requests
    recorded = requests.get(f"{relay.url}/api/v1/delegations", timeout=5).json()["delegations"]
    assert [d["id"] for d in recorded] == [attempt["id"]] and recorded[0]["total_tokens"] == 4519 * turns
    status = requests.get(f"{relay.url}/api/v1/cli/status", timeout=5).json()
    assert status["ok"] is True and {c["name"] for c in status["clis"]} == {"claude", "codex", "gemini"}
    assert KEY not in json.dumps(status) and KEY not in json.dumps(recorded)
