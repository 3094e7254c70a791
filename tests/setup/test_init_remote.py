"""`relay init --remote URL`: the CLIs pointed at a team relay (a real `relay serve --auth-tokens`)
with the person's token, nothing local set up, and `relay init --undo` putting every file back
byte for byte (modes too), in the isolated HOME of each test."""
import json
import os
import stat

import pytest

from relay.clients import codex
from tests.setup.test_init import home, relay, snapshot  # noqa: F401  (fixture reused)
from tests.web.test_auth import WRONG, auth_relay, people  # noqa: F401  (fixtures reused)

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib


def init_remote(url, token, *args, var="RELAY_TOKEN"):
    env = dict(os.environ)
    if token is not None:
        env[var] = token
    return relay("init", "--remote", url, "--format", "json", *args, env=env)


def _steps(done):
    return {s["step"]: s for s in json.loads(done.stdout)["steps"]}


def test_remote_init_sends_the_token_each_way_and_undo_restores_every_byte(home, auth_relay, people):
    token = people[1]["alice"]
    settings, env_file = home / ".claude" / "settings.json", home / ".gemini" / ".env"
    before = snapshot(home)
    done = init_remote(auth_relay.url, token)
    assert done.returncode == 0, done.stderr
    assert token not in done.stdout + done.stderr
    steps = _steps(done)
    assert steps["health"]["status"] == "unchanged" and "accepts the token in RELAY_TOKEN" in steps["health"]["detail"]
    assert {steps[s]["status"] for s in ("database", "claude_mcp", "server")} == {"skipped"}
    assert "0600" in steps["claude_settings"]["detail"] and "0600" in steps["gemini"]["detail"]
    assert "stays out of the file" in steps["codex"]["detail"]

    assert json.loads(settings.read_text())["env"] == {
        "FOO": "1", "ANTHROPIC_BASE_URL": auth_relay.url, "ANTHROPIC_CUSTOM_HEADERS": f"X-Relay-Token: {token}"}
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600      # was 0640: it now holds the token
    config = (home / ".codex" / "config.toml").read_text()
    provider = tomllib.loads(config)["model_providers"]["relay"]
    assert provider["base_url"] == auth_relay.url + "/openai/v1"
    assert provider["env_http_headers"] == {"X-Relay-Token": "RELAY_TOKEN"} and token not in config
    lines = env_file.read_text().splitlines()
    assert f"GOOGLE_GEMINI_BASE_URL={auth_relay.url}/gemini" in lines
    assert f"GEMINI_CLI_CUSTOM_HEADERS=X-Relay-Token: {token}" in lines
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert json.loads((home / ".claude.json").read_text()).get("mcpServers") is None

    again = init_remote(auth_relay.url, token)
    assert {s["status"] for n, s in _steps(again).items() if n in ("claude_settings", "codex", "gemini")} == \
        {"unchanged"}
    undone = relay("init", "--undo")
    assert undone.returncode == 0, undone.stderr
    assert snapshot(home) == before


def test_remote_init_keeps_the_users_other_headers_and_undo_puts_them_back(home, auth_relay, people):
    token = people[1]["bob"]
    settings = home / ".claude" / "settings.json"
    settings.write_text(json.dumps({"env": {"ANTHROPIC_CUSTOM_HEADERS": "X-Team: blue\nX-Relay-Token: old"}}))
    (home / ".gemini").mkdir()
    env_file = home / ".gemini" / ".env"
    env_file.write_text("GEMINI_API_KEY=k\nGEMINI_CLI_CUSTOM_HEADERS=X-Other: b\n")
    env_file.chmod(0o644)
    before = snapshot(home)
    done = init_remote(auth_relay.url, token)
    assert done.returncode == 0, done.stderr
    assert json.loads(settings.read_text())["env"]["ANTHROPIC_CUSTOM_HEADERS"] == \
        f"X-Team: blue\nX-Relay-Token: {token}"
    lines = env_file.read_text().splitlines()
    assert f"GEMINI_CLI_CUSTOM_HEADERS=X-Other: b, X-Relay-Token: {token}" in lines
    assert [line for line in lines if line.startswith("GEMINI_CLI_CUSTOM_HEADERS")] == \
        [f"GEMINI_CLI_CUSTOM_HEADERS=X-Other: b, X-Relay-Token: {token}"]
    assert relay("init", "--undo").returncode == 0
    assert snapshot(home) == before


def test_remote_init_says_when_the_token_is_missing_or_refused(home, auth_relay):
    before = snapshot(home)
    done = init_remote(auth_relay.url, None)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "relay init --remote needs your access token in RELAY_TOKEN" in done.stderr
    assert snapshot(home) == before
    done = init_remote(auth_relay.url, WRONG, "--token-env", "TEAM_TOKEN", var="TEAM_TOKEN")
    assert done.returncode == 1
    assert WRONG not in done.stdout + done.stderr
    health = _steps(done)["health"]
    assert health["status"] == "failed" and "refused the token in TEAM_TOKEN" in health["detail"]
    assert "TEAM_TOKEN" in tomllib.loads((home / ".codex" / "config.toml").read_text())[
        "model_providers"]["relay"]["env_http_headers"].values()


@pytest.mark.parametrize("url", ["relay.internal:8083", "ftp://relay.internal"])
def test_remote_must_be_an_http_url(home, url):
    done = init_remote(url, "relay_x")
    assert done.returncode == 2 and "--remote must be an http:// or https:// URL" in done.stderr


def test_chatgpt_login_on_a_team_relay_keeps_chatgpt_calls_direct():
    text = codex.point_at('chatgpt_base_url = "https://chatgpt.com/backend-api/"\n', "http://team:8083/backend-api/codex",
                          mode=codex.CHATGPT, chatgpt_base_url=None, header_env=("X-Relay-Token", "RELAY_TOKEN"))
    data = tomllib.loads(text)
    assert data["chatgpt_base_url"] == "https://chatgpt.com/backend-api/"    # the user's own, untouched
    assert data["model_providers"]["relay"]["requires_openai_auth"] is True
    assert data["model_providers"]["relay"]["env_http_headers"] == {"X-Relay-Token": "RELAY_TOKEN"}
