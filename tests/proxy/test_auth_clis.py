"""The three real CLIs through a relay with access tokens, each sending its token the way
docs/team.md says: Claude Code with ANTHROPIC_CUSTOM_HEADERS, Codex with its provider block's
env_http_headers, Gemini CLI with GEMINI_CLI_CUSTOM_HEADERS. Each run answers, upstream never
sees X-Relay-Token, and the row names the person. (Without the header Claude Code keeps retrying
relay's 401 until its own timeout, so the refusals are tested over HTTP in tests/web/test_auth.py.)"""
import json

import pytest

from relay import paths
from relay.store import Store
from relay.web import tokens as tokens_file
from tests.proxy.test_claude_code import claude_bin, run_claude  # noqa: F401  (fixture reused)
from tests.proxy.test_codex_gemini_cli import (  # noqa: F401  (fixtures reused)
    CODEX_CONFIG,
    GEMINI_KEY,
    GEMINI_SETTINGS,
    OPENAI_KEY,
    _run,
    codex_bin,
    gemini_bin,
)
from tests.relay_process import RelayProcess
from tests.web.test_auth import _wait_finished


@pytest.fixture
def team(tmp_path, upstream):
    path = tmp_path / "tokens.toml"
    issued = {name: tokens_file.add(path, name) for name in ("alice", "bob", "carol")}
    process = RelayProcess(upstream.url, "--auth-tokens", str(path)).start()
    yield process, issued
    process.stop()


def _people(relay, token, count):
    _wait_finished(relay, token, count)
    db = Store(paths.db_path())
    try:
        return db.read(lambda c: [tuple(r) for r in c.execute("SELECT os_user, cli FROM exchanges")])
    finally:
        db.close()


def _no_relay_header(upstream, issued):
    for seen in upstream.requests:
        assert "x-relay-token" not in {name.lower() for name in seen["headers"]}
        assert not any(t in json.dumps(dict(seen["headers"])) for t in issued.values())


def test_claude_code_sends_its_token_with_anthropic_custom_headers(claude_bin, team, upstream, tmp_path):  # noqa: F811
    relay, issued = team
    run_claude(claude_bin, relay, tmp_path, "say hi",
               extra_env={"ANTHROPIC_CUSTOM_HEADERS": f"X-Relay-Token: {issued['alice']}"})
    assert upstream.requests
    _no_relay_header(upstream, issued)
    assert set(_people(relay, issued["alice"], len(upstream.requests))) == {("alice", "claude")}


def _codex_home(tmp_path, relay):
    home = tmp_path / "codex-home"
    (home / ".codex").mkdir(parents=True)
    header = 'env_http_headers = { "X-Relay-Token" = "RELAY_TOKEN" }'
    config = CODEX_CONFIG.format(base_url=relay.url + "/openai/v1").replace(
        'wire_api = "responses"', f'wire_api = "responses"\n{header}')
    (home / ".codex" / "config.toml").write_text(config)
    return home


def test_codex_sends_its_token_with_env_http_headers(codex_bin, team, upstream, tmp_path):  # noqa: F811
    relay, issued = team
    home = _codex_home(tmp_path, relay)
    _run(codex_bin, relay, tmp_path, home, ["exec", "--json", "--skip-git-repo-check", "say hi"],
         {"RELAY_TEST_OPENAI_KEY": OPENAI_KEY, "RELAY_TOKEN": issued["bob"]})
    assert [r["path"] for r in upstream.requests] == ["/v1/responses"]
    _no_relay_header(upstream, issued)
    assert _people(relay, issued["bob"], 1) == [("bob", "codex")]


def test_gemini_cli_sends_its_token_with_gemini_cli_custom_headers(gemini_bin, team, upstream, tmp_path):  # noqa: F811
    relay, issued = team
    home = tmp_path / "gemini-home"
    (home / ".gemini").mkdir(parents=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps(GEMINI_SETTINGS))
    _run(gemini_bin, relay, tmp_path, home, ["-m", "gemini-2.5-pro", "--output-format", "stream-json", "-p", "say hi"],
         {"GEMINI_API_KEY": GEMINI_KEY, "GOOGLE_GEMINI_BASE_URL": relay.url + "/gemini",
          "GEMINI_CLI_TRUST_WORKSPACE": "true", "GEMINI_CLI_CUSTOM_HEADERS": f"X-Relay-Token: {issued['carol']}"})
    assert upstream.requests
    _no_relay_header(upstream, issued)
    assert set(_people(relay, issued["carol"], len(upstream.requests))) == {("carol", "gemini")}
