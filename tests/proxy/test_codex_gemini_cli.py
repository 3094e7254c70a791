"""The real Codex CLI and Gemini CLI (pinned in tests/real_clients.py) through relay's /openai and
/gemini mounts against the fake upstream, as ../shared/REAL-CLIENTS.md §4, §5 and "How a test suite
can run these clients" describe: a minimal environment, a throwaway HOME and TMPDIR, stdin from
/dev/null, a timeout. Each run must answer and leave one row per model call with the right tokens."""
import json

import pytest
import requests

from tests import real_clients as clients
from tests.fake_wire import CODEX_HEADERS, GEMINI_ROW, OPENAI_ROW, SHELL_COMMAND, TEXT
from tests.proxy.conftest import history_bodies, wait_history, wait_rows
from tests.proxy.test_anthropic_sdk import assert_key_not_stored
from tests.real_clients import CODEX_CONFIG, GEMINI_SETTINGS
from tests.relay_process import RelayProcess

OPENAI_KEY = "sk-codex-relay-test-KEY-never-stored"
GEMINI_KEY = "AIza-gemini-cli-relay-test-KEY-never-stored"


@pytest.fixture(scope="session")
def codex_bin():
    return clients.codex()


@pytest.fixture(scope="session")
def gemini_bin():
    return clients.gemini()


def _run(binary, relay, tmp_path, home, args, extra_env):
    return clients.run_cli(binary, home, tmp_path, args, extra_env, relay=relay)


def run_codex(codex_bin, relay, tmp_path, prompt):
    home = tmp_path / "codex-home"
    (home / ".codex").mkdir(parents=True)
    (home / ".codex" / "config.toml").write_text(CODEX_CONFIG.format(base_url=relay.url + "/openai/v1"))
    return _run(codex_bin, relay, tmp_path, home, ["exec", "--json", "--skip-git-repo-check", prompt],
                {"RELAY_TEST_OPENAI_KEY": OPENAI_KEY})


def run_gemini(gemini_bin, relay, tmp_path, prompt, *args):
    home = tmp_path / "gemini-home"
    (home / ".gemini").mkdir(parents=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps(GEMINI_SETTINGS))
    return _run(gemini_bin, relay, tmp_path, home,
                ["-m", "gemini-2.5-pro", "--output-format", "stream-json", *args, "-p", prompt],
                {"GEMINI_API_KEY": GEMINI_KEY, "GOOGLE_GEMINI_BASE_URL": relay.url + "/gemini",
                 "GEMINI_CLI_TRUST_WORKSPACE": "true"})


def check_codex(events, relay, upstream, calls):
    [thread] = [e["thread_id"] for e in events if e.get("type") == "thread.started"]
    messages = [e["item"]["text"] for e in events if e.get("type") == "item.completed"
                and e["item"].get("type") == "agent_message"]
    assert messages[-1] == TEXT
    assert [r["path"] for r in upstream.requests] == ["/v1/responses"] * calls
    for seen in upstream.requests:
        assert seen["headers"]["authorization"] == f"Bearer {OPENAI_KEY}"
        assert json.loads(seen["body"])["model"] == "gpt-5-codex"
    rows = wait_rows(relay.url, calls)
    assert len(rows) == calls
    for row in rows:
        assert row["provider"] == "openai" and row["path"] == "/v1/responses" and row["model"] == "gpt-5-codex"
        assert row["session_id"] == thread and row["stream"] is True and row["outcome"] == "ok"
        assert {k: row[k] for k in OPENAI_ROW} == OPENAI_ROW and row["ratelimit"] == CODEX_HEADERS
        assert row["client"].startswith("codex_exec/0.169.0")
    assert_key_not_stored(relay, rows, OPENAI_KEY)
    return rows


def check_gemini(lines, relay, upstream, calls):
    [result] = [line for line in lines if line.get("type") == "result"]
    assert result["status"] == "success"
    text = "".join(line.get("content") or "" for line in lines
                   if line.get("type") == "message" and line.get("role") == "assistant")
    assert text.endswith(TEXT)
    assert [r["path"] for r in upstream.requests] == \
        ["/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"] * calls
    assert all(r["headers"]["x-goog-api-key"] == GEMINI_KEY for r in upstream.requests)
    rows = wait_rows(relay.url, calls)
    assert len(rows) == calls
    for row in rows:
        assert row["provider"] == "gemini" and row["model"] == "gemini-2.5-pro" and row["outcome"] == "ok"
        assert row["stream"] is True and row["stop_reason"] == "STOP"
        assert {k: row[k] for k in GEMINI_ROW} == GEMINI_ROW
        assert row["client"].startswith("GeminiCLI")
    assert_key_not_stored(relay, rows, GEMINI_KEY)
    return rows


def test_codex_text(codex_bin, relay, upstream, tmp_path):
    check_codex(run_codex(codex_bin, relay, tmp_path, "say hi"), relay, upstream, calls=1)


def test_codex_tool_round_trip(codex_bin, relay, upstream, tmp_path):
    events = run_codex(codex_bin, relay, tmp_path, "run echo hello-from-tool")
    commands = [e["item"] for e in events if e.get("type") == "item.completed"
                and e["item"].get("type") == "command_execution"]
    assert len(commands) == 1 and "hello-from-tool" in commands[0]["aggregated_output"]
    # The follow-up carried the output of the command Codex really ran.
    followup = json.loads(upstream.requests[1]["body"])
    outputs = [i["output"] for i in followup["input"] if i.get("type") == "function_call_output"]
    assert len(outputs) == 1 and "hello-from-tool" in outputs[0]
    check_codex(events, relay, upstream, calls=2)


def test_gemini_text(gemini_bin, relay, upstream, tmp_path):
    check_gemini(run_gemini(gemini_bin, relay, tmp_path, "say hi"), relay, upstream, calls=1)


def test_gemini_tool_round_trip(gemini_bin, relay, upstream, tmp_path):
    lines = run_gemini(gemini_bin, relay, tmp_path, "run echo hello-from-tool", "--approval-mode", "yolo")
    uses = [line for line in lines if line.get("type") == "tool_use"]
    assert [(u["tool_name"], u["parameters"]["command"]) for u in uses] == [("run_shell_command", SHELL_COMMAND)]
    followup = json.loads(upstream.requests[1]["body"])
    responses = [p["functionResponse"] for c in followup["contents"] for p in c.get("parts") or []
                 if "functionResponse" in p]
    assert len(responses) == 1 and "hello-from-tool" in json.dumps(responses[0])
    check_gemini(lines, relay, upstream, calls=2)


def test_codex_builtin_provider_falls_back_from_websocket_at_once(codex_bin, relay, upstream, tmp_path):
    """Codex's built-in provider (openai_base_url) tries a WebSocket first and retries it with
    backoff unless refused plainly: relay's 426 must make it fall back to HTTP after one try."""
    home = tmp_path / "codex-home"
    (home / ".codex").mkdir(parents=True)
    (home / ".codex" / "config.toml").write_text(
        f'model = "gpt-5-codex"\nopenai_base_url = "{relay.url}/openai/v1"\napproval_policy = "never"\n'
        'sandbox_mode = "danger-full-access"\n\n[analytics]\nenabled = false\n')
    events = _run(codex_bin, relay, tmp_path, home, ["exec", "--json", "--skip-git-repo-check", "say hi"],
                  {"OPENAI_API_KEY": OPENAI_KEY})
    assert [e["item"]["text"] for e in events if e.get("type") == "item.completed"
            and e["item"].get("type") == "agent_message"] == [TEXT]
    assert [(r["method"], r["path"]) for r in upstream.requests] == [("POST", "/v1/responses")]
    [row] = wait_rows(relay.url, 1)
    assert row["provider"] == "openai" and {k: row[k] for k in OPENAI_ROW} == OPENAI_ROW
    refusals = [line for line in relay.stderr_lines if "refused a WebSocket upgrade" in line]
    assert len(refusals) == 1, refusals


@pytest.fixture
def history_relay(upstream):
    process = RelayProcess(upstream.url, "--history").start()
    yield process
    process.stop()


def _captured_tool_round_trip(relay, upstream, session_id, path):
    """The two model calls of a tool round trip, captured as a full turn and a delta that rebuild
    the bodies upstream received, with the call and its output in the composition."""
    turns = wait_history(relay.url, session_id, 2)
    assert [t["kind"] for t in turns] == ["full", "delta"]
    assert history_bodies(session_id, 2) == [r["body"] for r in upstream.requests if r["path"] == path]
    comp = requests.get(f"{relay.url}/api/v1/history/{session_id}/composition", timeout=5).json()["turns"][1]
    chars = comp["composition"]["chars"]
    assert chars["tool_use"] > 0 and chars["tool_result"] > 0 and chars["user_text"] > 0
    assert chars["system_prompt"] + chars["system"] > 0 and chars["tool_schemas"] > 0
    assert requests.get(f"{relay.url}/history/{session_id}/1", timeout=5).status_code == 200


def test_codex_tool_round_trip_with_history(codex_bin, history_relay, upstream, tmp_path):
    events = run_codex(codex_bin, history_relay, tmp_path, "run echo hello-from-tool")
    [thread] = [e["thread_id"] for e in events if e.get("type") == "thread.started"]
    _captured_tool_round_trip(history_relay, upstream, thread, "/v1/responses")


def test_gemini_tool_round_trip_with_history(gemini_bin, history_relay, upstream, tmp_path):
    """Gemini CLI sends no session id with an API key: both calls share the one relay derives."""
    run_gemini(gemini_bin, history_relay, tmp_path, "run echo hello-from-tool", "--approval-mode", "yolo")
    rows = wait_rows(history_relay.url, 2)
    [session] = {r["session_id"] for r in rows}
    assert session.startswith("gemini-")
    _captured_tool_round_trip(history_relay, upstream, session,
                              "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse")
