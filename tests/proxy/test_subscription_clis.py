"""The real CLIs logged in to a subscription, offline, through relay (../shared/REAL-CLIENTS.md §7):
Codex with a ChatGPT login (a fake auth.json with an unsigned JWT), Claude Code with OAuth (a fake
credentials file) and Gemini CLI on the Code Assist path (a loopback fake of the GCE metadata
server). Each run: one throwaway HOME, `relay init` writes the setup for that login mode, the CLI
answers, one row per model call under the CLI's own session id, `relay init --undo` restores every
file, and no token is in relay's data dir."""
import base64
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests import real_clients as clients
from tests.fake_wire import CODEX_HEADERS, GEMINI_ROW, OPENAI_ROW, TEXT
from tests.proxy.conftest import history_bodies, wait_history, wait_rows
from tests.real_clients import run_cli
from tests.relay_process import RelayProcess

ROOT = Path(__file__).resolve().parents[2]
ACCESS_JWT_PAYLOAD = {"email": "user@example.com", "exp": int(time.time()) + 86400 * 30,
                      "https://api.openai.com/auth": {"chatgpt_plan_type": "pro", "chatgpt_account_id": "acct-123",
                                                      "chatgpt_user_id": "user-1"}}
CLAUDE_OAUTH = "sk-ant-oat01-relay-test-OAUTH-never-stored"
GOOGLE_TOKEN = "ya29.relay-test-GOOGLE-never-stored"


@pytest.fixture
def relay(upstream):
    """History capture on: each login's model calls must also be captured under the CLI's session."""
    process = RelayProcess(upstream.url, "--history").start()
    yield process
    process.stop()


def _b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def chatgpt_jwt():
    """An unsigned JWT shaped as ChatGPT's: Codex reads the plan and account from its payload."""
    return f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(ACCESS_JWT_PAYLOAD)}.c2ln"


def relay_cmd(env, *args):
    done = subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60, cwd=str(ROOT))
    assert done.returncode == 0, f"relay {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def snapshot(home):
    return {p.relative_to(home): p.read_bytes() for p in home.rglob("*") if p.is_file()}


def data_dir_has(relay_home, needle):
    return [str(p) for p in relay_home.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def init_env(home, relay_home, port):
    return {"PATH": clients.BASE_PATH, "HOME": str(home), "RELAY_HOME": str(relay_home), "RELAY_PORT": str(port),
            "LANG": "C.UTF-8"}


@pytest.mark.parametrize("version", clients.CODEX_VERSIONS)
def test_codex_chatgpt_login_through_relay(version, relay, upstream, tmp_path):
    binary = clients.codex(version)
    home = tmp_path / "home"
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True)
    token = chatgpt_jwt()
    (codex_home / "auth.json").write_text(json.dumps({
        "OPENAI_API_KEY": None, "last_refresh": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tokens": {"id_token": token, "access_token": token, "refresh_token": "rt-relay-test",
                   "account_id": "acct-123"}}))
    (codex_home / "config.toml").write_text('model = "gpt-5-codex"\napproval_policy = "never"\n\n'
                                            '[analytics]\nenabled = false\n')
    before = snapshot(home)
    env = init_env(home, tmp_path / "relay-home", relay.port)
    plan = relay_cmd(env, "init", "--dry-run", "--skip-server", "--codex", "--no-gemini")
    assert "ChatGPT login" in plan
    relay_cmd(env, "init", "--skip-server", "--codex", "--no-gemini")
    config = (codex_home / "config.toml").read_text()
    assert "requires_openai_auth = true" in config and "env_key" not in config
    events = run_cli(binary, home, tmp_path, ["exec", "--json", "--skip-git-repo-check", "say hi"], {})
    [thread] = [e["thread_id"] for e in events if e.get("type") == "thread.started"]
    assert [e["item"]["text"] for e in events if e.get("type") == "item.completed"
            and e["item"].get("type") == "agent_message"][-1] == TEXT
    model_calls = [r for r in upstream.requests if r["path"] == "/backend-api/codex/responses"]
    assert len(model_calls) == 1 and model_calls[0]["headers"]["authorization"] == f"Bearer {token}"
    rows = wait_rows(relay.url, len(upstream.requests))
    [row] = [r for r in rows if r["path"] == "/backend-api/codex/responses"]
    assert row["session_id"] == thread and row["cli"] == "codex" and row["outcome"] == "ok"
    assert {k: row[k] for k in OPENAI_ROW} == OPENAI_ROW and row["ratelimit"] == CODEX_HEADERS
    assert all(r["cli"] == "codex" for r in rows)
    [turn] = wait_history(relay.url, thread, 1)
    assert turn["kind"] == "full" and history_bodies(thread, 1) == [model_calls[0]["body"]]
    relay_cmd(env, "init", "--undo")
    after = snapshot(home)
    assert {p: after[p] for p in before} == before
    relay.stop()
    assert not data_dir_has(tmp_path / "relay-home", token.split(".")[1])


class MetadataHandler(BaseHTTPRequestHandler):
    """The GCE metadata server, as much of it as Google's auth library asks for a token."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.endswith("/service-accounts/default/token"):
            body = json.dumps({"access_token": GOOGLE_TOKEN, "expires_in": 3600, "token_type": "Bearer"}).encode()
            kind = "application/json"
        elif path.endswith("/project/project-id"):
            body, kind = b"fake-project", "text/plain"
        elif path.endswith("/service-accounts/default/email"):
            body, kind = b"relay-test@fake-project.iam.gserviceaccount.com", "text/plain"
        else:
            body, kind = b"{}", "application/json"
        self.send_response(200)
        self.send_header("Metadata-Flavor", "Google")
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def metadata_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), MetadataHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("version", clients.GEMINI_VERSIONS)
def test_gemini_google_login_through_code_assist(version, relay, upstream, tmp_path, metadata_server):
    binary = clients.gemini(version)
    home = tmp_path / "home"
    (home / ".gemini").mkdir(parents=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps({
        "security": {"auth": {"selectedType": "compute-default-credentials"}},
        "privacy": {"usageStatisticsEnabled": False}, "telemetry": {"enabled": False},
        # in the form 0.61 writes back, so that the CLI itself leaves the file as it is
        "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False}}, indent=2))
    before = snapshot(home)
    env = init_env(home, tmp_path / "relay-home", relay.port)
    assert "Google login" in relay_cmd(env, "init", "--dry-run", "--skip-server", "--gemini", "--no-codex")
    relay_cmd(env, "init", "--skip-server", "--gemini", "--no-codex")
    assert (home / ".gemini" / "settings.json").read_bytes() == before[Path(".gemini/settings.json")]
    lines = run_cli(binary, home, tmp_path, ["-m", "gemini-2.5-pro", "--output-format", "stream-json", "-p", "say hi"],
                    {"GCE_METADATA_HOST": metadata_server, "GCE_METADATA_IP": metadata_server,
                     "GOOGLE_CLOUD_PROJECT": "fake-project", "GEMINI_CLI_TRUST_WORKSPACE": "true"})
    [session] = [line["session_id"] for line in lines if line.get("type") == "init"]
    text = "".join(line.get("content") or "" for line in lines
                   if line.get("type") == "message" and line.get("role") == "assistant")
    assert text.endswith(TEXT)
    calls = [r for r in upstream.requests if "GenerateContent" in r["path"]]
    assert calls and all(r["headers"]["authorization"] == f"Bearer {GOOGLE_TOKEN}" for r in calls)
    rows = wait_rows(relay.url, len(upstream.requests))
    model_rows = [r for r in rows if "GenerateContent" in r["path"]]
    assert len(model_rows) == len(calls)
    for row in model_rows:
        assert row["session_id"] == session and row["cli"] == "gemini" and row["model"] == "gemini-2.5-pro"
        assert {k: row[k] for k in GEMINI_ROW} == GEMINI_ROW and row["outcome"] == "ok"
    # conversation calls under the session, the CLI's JSON utility calls (router, checks) beside it
    streamed = [r["body"] for r in calls if ":streamGenerateContent" in r["path"]]
    assert streamed and len(wait_history(relay.url, session, len(streamed))) == len(streamed)
    assert history_bodies(session, len(streamed)) == streamed
    side = [r["body"] for r in calls if ":generateContent" in r["path"]]
    if side:
        wait_history(relay.url, session + ":side", len(side))
        assert history_bodies(session + ":side", len(side)) == side
    if any(r["path"].endswith(":retrieveUserQuota") for r in upstream.requests):
        quota = requests.get(relay.url + "/api/v1/quota", timeout=10).json()["quota"]
        assert {w["name"] for w in quota["gemini"]["windows"]} == {"gemini-2.5-pro", "gemini-2.5-flash"}
    relay_cmd(env, "init", "--undo")
    after = snapshot(home)
    assert {p: after[p] for p in before} == before and not (home / ".gemini" / ".env").exists()
    relay.stop()
    assert not data_dir_has(tmp_path / "relay-home", GOOGLE_TOKEN)


@pytest.mark.parametrize("version", clients.CLAUDE_CODE_VERSIONS)
def test_claude_code_oauth_login_through_relay(version, relay, upstream, tmp_path):
    binary = clients.claude_code(version)
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / ".credentials.json").write_text(json.dumps({"claudeAiOauth": {
        "accessToken": CLAUDE_OAUTH, "refreshToken": "sk-ant-ort01-relay-test-refresh",
        "expiresAt": int(time.time() * 1000) + 86400_000,
        "scopes": ["user:inference", "user:profile", "user:sessions:claude_code"], "subscriptionType": "max"}}))
    (home / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
    before = snapshot(home)
    env = init_env(home, tmp_path / "relay-home", relay.port)
    relay_cmd(env, "init", "--skip-server", "--no-codex", "--no-gemini")
    lines = run_cli(binary, home, tmp_path, ["-p", "say hi", "--output-format", "stream-json", "--verbose"],
                    {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_TELEMETRY": "1",
                     "DISABLE_AUTOUPDATER": "1"})
    [session] = {line["session_id"] for line in lines if line.get("session_id")}
    calls = [r for r in upstream.requests if r["path"].startswith("/v1/messages")]
    assert calls
    for call in calls:   # the bearer passes untouched, never turned into an API key
        assert call["headers"]["authorization"] == f"Bearer {CLAUDE_OAUTH}"
        assert "oauth-" in call["headers"]["anthropic-beta"] and "x-api-key" not in call["headers"]
    rows = [r for r in wait_rows(relay.url, len(upstream.requests)) if r["path"].startswith("/v1/messages")]
    assert len(rows) == len(calls)
    for row in rows:
        assert row["session_id"] == session and row["cli"] == "claude" and row["outcome"] == "ok"
        assert row["ratelimit"]["anthropic-ratelimit-unified-5h-utilization"] == "0.12"
    windows = requests.get(relay.url + "/api/v1/quota", timeout=10).json()["quota"]["anthropic"]["windows"]
    assert {w["name"]: w["utilization_pct"] for w in windows} == {"5h": 12.0, "7d": 34.0}
    relay_cmd(env, "init", "--undo")
    after = snapshot(home)
    assert {p: after[p] for p in before if p.name != ".claude.json"} == \
        {p: v for p, v in before.items() if p.name != ".claude.json"}
    relay.stop()
    assert not data_dir_has(tmp_path / "relay-home", CLAUDE_OAUTH)
