"""The real Claude Code CLI (pinned in tests/real_clients.py) run through relay against the fake upstream,
as ../shared/REAL-CLIENTS.md §3 and "How a test suite can run these clients" describe: a minimal
environment, a throwaway HOME and TMPDIR, stdin from /dev/null, a timeout."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests import real_clients as clients
from tests.fake_upstream import OUTPUT_TOKENS, TEXT
from tests.proxy.conftest import wait_rows

KEY = "sk-ant-test"
RUN_TIMEOUT = 120


@pytest.fixture(scope="session")
def claude_bin():
    """Installs Claude Code once per test session (a no-op when the cache already has it)."""
    return clients.claude_code()


def run_claude(claude_bin, relay, tmp_path, *args, extra_env=None):
    home, tmp, project = tmp_path / "cc-home", tmp_path / "cc-tmp", tmp_path / "project"
    for path in (home, tmp, project):
        path.mkdir()
    env = {"PATH": os.pathsep.join([str(Path(claude_bin).parent), clients.BASE_PATH]), "HOME": str(home),
           "TMPDIR": str(tmp), "LANG": "C.UTF-8", "ANTHROPIC_BASE_URL": relay.url, "ANTHROPIC_API_KEY": KEY,
           "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1",
           **(extra_env or {})}
    done = subprocess.run([str(claude_bin), "-p", *args, "--output-format", "stream-json", "--verbose"], env=env,
                          cwd=str(project), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)
    assert done.returncode == 0, f"claude exited {done.returncode}\nstdout:\n{done.stdout[-3000:]}\n" \
                                 f"stderr:\n{done.stderr[-3000:]}\nrelay:\n{''.join(relay.stderr_lines)[-3000:]}"
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return lines, home


def check_run(lines, home, relay, upstream, turns):
    """What every run must show: the init and result lines, one row per model turn with the fake's
    usage and Claude Code's session id, the headers upstream saw, the session file, no stored key."""
    [init] = [line for line in lines if line.get("type") == "system" and line.get("subtype") == "init"]
    session_id = init["session_id"]
    result = lines[-1]
    assert result["type"] == "result" and result["subtype"] == "success" and result["is_error"] is False
    assert result["result"] == TEXT and result["session_id"] == session_id

    assert len(upstream.requests) == turns
    for seen in upstream.requests:
        headers = {k.lower(): v for k, v in seen["headers"].items()}
        assert seen["method"] == "POST" and seen["path"] == "/v1/messages?beta=true"
        assert "claude-code-20250219" in headers["anthropic-beta"].split(",")
        assert headers["x-claude-code-session-id"] == session_id
        assert headers["x-api-key"] == KEY
        assert json.loads(seen["body"])["stream"] is True

    rows = wait_rows(relay.url, turns, session_id=session_id)
    assert len(rows) == turns
    assert len(wait_rows(relay.url, turns)) == turns  # nothing recorded outside the session
    models = [json.loads(seen["body"])["model"] for seen in reversed(upstream.requests)]  # newest first, like rows
    for row, model in zip(rows, models):
        assert row["provider"] == "anthropic" and row["path"] == "/v1/messages?beta=true"
        assert row["session_id"] == session_id and row["model"] == model
        assert row["status"] == 200 and row["stream"] is True and row["outcome"] == "ok"
        assert (row["input_tokens"], row["output_tokens"]) == (12, OUTPUT_TOKENS)
        assert (row["cache_creation_input_tokens"], row["cache_creation_5m_input_tokens"],
                row["cache_creation_1h_input_tokens"], row["cache_read_input_tokens"]) == (1500, 500, 1000, 3000)
        assert row["ratelimit"]["anthropic-ratelimit-unified-5h-utilization"] == "0.12"
    assert rows[0]["stop_reason"] == "end_turn"
    assert [r["stop_reason"] for r in rows[1:]] == ["tool_use"] * (turns - 1)

    # The session file is under the throwaway HOME, and its assistant lines are the exchanges relay saw.
    [session_file] = list((home / ".claude" / "projects").glob(f"*/{session_id}.jsonl"))
    records = [json.loads(line) for line in session_file.read_text().splitlines() if line.strip()]
    written = {(r["message"]["id"], r.get("requestId")) for r in records if r.get("type") == "assistant"}
    assert written == {(row["message_id"], row["request_id"]) for row in rows}

    assert_key_not_stored(relay, rows)
    return session_id, rows


def assert_key_not_stored(relay, rows):
    assert KEY not in json.dumps(rows)
    relay_home = Path(os.environ["RELAY_HOME"])
    for phase in ("running", "stopped"):
        if phase == "stopped":
            relay.stop()
        files = [p for p in relay_home.rglob("*") if p.is_file()]
        assert any(p.name == "relay.db" for p in files)
        for path in files:
            assert KEY.encode() not in path.read_bytes(), f"{phase}: API key found in {path}"


def test_text_prompt(claude_bin, relay, upstream, tmp_path):
    # The fake answers with a tool_use whenever Bash is offered, so Bash is taken out of the tool list
    # (Claude Code's other tools are still sent) to get the plain one-turn text exchange.
    lines, home = run_claude(claude_bin, relay, tmp_path, "say hi", "--disallowedTools", "Bash")
    check_run(lines, home, relay, upstream, turns=1)
    texts = [block["text"] for line in lines if line.get("type") == "assistant"
             for block in line["message"]["content"] if block["type"] == "text"]
    assert texts == [TEXT]


def test_tool_round_trip(claude_bin, relay, upstream, tmp_path):
    lines, home = run_claude(claude_bin, relay, tmp_path, "run echo hello-from-tool with Bash",
                             "--allowedTools", "Bash")
    check_run(lines, home, relay, upstream, turns=2)
    tool_uses = [block for line in lines if line.get("type") == "assistant"
                 for block in line["message"]["content"] if block["type"] == "tool_use"]
    assert [(t["name"], t["input"]) for t in tool_uses] == [("Bash", {"command": "echo hello-from-tool"})]
    results = [block for line in lines if line.get("type") == "user" and isinstance(line["message"]["content"], list)
               for block in line["message"]["content"] if block.get("type") == "tool_result"]
    assert [(r["tool_use_id"], r["content"], r["is_error"]) for r in results] == \
        [(tool_uses[0]["id"], "hello-from-tool", False)]
    # The follow-up carried the tool result Claude Code produced by really running Bash.
    followup = json.loads(upstream.requests[1]["body"])
    sent_results = [block for message in followup["messages"] if isinstance(message.get("content"), list)
                    for block in message["content"] if block.get("type") == "tool_result"]
    assert [(r["tool_use_id"], r["content"]) for r in sent_results] == [(tool_uses[0]["id"], "hello-from-tool")]
