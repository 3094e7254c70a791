"""`relay init` per login mode: it reads how each CLI is logged in and never breaks that login
(a ChatGPT login must not be asked for OPENAI_API_KEY, a Google login must keep its auth type)."""
import json

from tests.setup.test_init import home, init, relay, snapshot  # noqa: F401  (home is a fixture)

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

CHATGPT_AUTH = {"OPENAI_API_KEY": None, "tokens": {"id_token": "h.p.s", "access_token": "h.p.s",
                                                   "refresh_token": "r", "account_id": "acct-1"}}


def dry_run_lines(*args):
    done = relay("init", "--port", "9111", "--dry-run", "--skip-server", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_codex_chatgpt_login_gets_the_chatgpt_mount_and_no_api_key(home):
    (home / ".codex" / "auth.json").write_text(json.dumps(CHATGPT_AUTH))
    before = snapshot(home)
    plan = dry_run_lines()
    assert "would route Codex (ChatGPT login) through relay" in plan and "no API key needed" in plan
    assert snapshot(home) == before
    steps = init("--skip-server")
    assert "ChatGPT login" in steps["codex"]["detail"]
    config = tomllib.loads((home / ".codex" / "config.toml").read_text())
    provider = config["model_providers"]["relay"]
    assert config["model_provider"] == "relay" and config["chatgpt_base_url"] == "http://127.0.0.1:9111/backend-api/"
    assert provider["base_url"] == "http://127.0.0.1:9111/backend-api/codex"
    assert provider["requires_openai_auth"] is True and "env_key" not in provider
    assert relay("init", "--undo").returncode == 0
    assert snapshot(home) == before


def test_codex_login_switch_rewrites_the_provider(home):
    auth = home / ".codex" / "auth.json"
    auth.write_text(json.dumps(CHATGPT_AUTH))
    before = snapshot(home)
    init("--skip-server")
    auth.write_text(json.dumps({"OPENAI_API_KEY": "sk-proj-relay-test-secret"}))
    steps = init("--skip-server")
    assert "API-key login" in steps["codex"]["detail"]
    config = tomllib.loads((home / ".codex" / "config.toml").read_text())
    assert "chatgpt_base_url" not in config
    assert config["model_providers"]["relay"]["env_key"] == "OPENAI_API_KEY"
    auth.write_text(json.dumps(CHATGPT_AUTH))
    assert relay("init", "--undo").returncode == 0
    assert snapshot(home) == before


def test_gemini_google_login_gets_code_assist_and_keeps_its_auth_type(home):
    gemini = home / ".gemini"
    gemini.mkdir()
    (gemini / "settings.json").write_text('{"security": {"auth": {"selectedType": "oauth-personal"}}}\n')
    (gemini / ".env").write_text("# mine\nFOO=1\n")
    before = snapshot(home)
    plan = dry_run_lines()
    assert "would route Gemini CLI (Google login, Code Assist) through relay" in plan
    assert "Google login kept" in plan
    steps = init("--skip-server")
    assert steps["gemini"]["status"] == "changed" and steps["gemini_auth"]["status"] == "unchanged"
    env = (gemini / ".env").read_text().splitlines()
    assert "CODE_ASSIST_ENDPOINT=http://127.0.0.1:9111" in env and "FOO=1" in env
    assert not any(line.startswith("GOOGLE_GEMINI_BASE_URL") for line in env)
    assert (gemini / "settings.json").read_bytes() == before[".gemini/settings.json"][0]
    assert relay("init", "--undo").returncode == 0
    assert snapshot(home) == before


def test_gemini_vertex_is_left_alone_and_api_key_users_get_the_gemini_mount(home):
    gemini = home / ".gemini"
    gemini.mkdir()
    (gemini / "settings.json").write_text('{"security": {"auth": {"selectedType": "vertex-ai"}}}')
    steps = init("--skip-server")
    assert steps["gemini"]["status"] == "skipped" and "vertex-ai" in steps["gemini"]["detail"]
    assert not (gemini / ".env").exists()
    (gemini / "settings.json").write_text('{"security": {"auth": {"selectedType": "gemini-api-key"}}}')
    steps = init("--skip-server")
    assert "API-key login" in steps["gemini"]["detail"]
    assert "GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9111/gemini" in (gemini / ".env").read_text()


def test_claude_oauth_login_is_named_and_gets_the_same_base_url(home):
    (home / ".claude" / ".credentials.json").write_text('{"claudeAiOauth": {"accessToken": "sk-ant-oat01-x"}}')
    steps = init("--skip-server")
    assert "subscription (OAuth) login" in steps["claude_settings"]["detail"]
    settings = json.loads((home / ".claude" / "settings.json").read_text())
    assert settings["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9111"
