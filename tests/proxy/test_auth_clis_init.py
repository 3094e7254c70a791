"""What `relay init --remote URL --token-env RELAY_TOKEN` writes, checked with the real CLIs: init
runs as a user would (the real command, a throwaway HOME that already holds each CLI's own
settings), then Claude Code, Codex and Gemini CLI each answer one prompt with nothing but what init
wrote (settings.json `env`; the config.toml provider block with RELAY_TOKEN exported; ~/.gemini/.env)
plus the user's own API keys. Each request reaches the fake upstream through the team relay under
the token's person, upstream never sees X-Relay-Token, and `relay init --undo` puts every file back
byte for byte, with its mode."""
import json
import os
import subprocess
import sys
from pathlib import Path

from relay import paths
from relay.store import Store
from tests.proxy.test_auth_clis import _no_relay_header, team  # noqa: F401  (fixture reused)
from tests.proxy.test_claude_code import KEY as ANTHROPIC_KEY
from tests.proxy.test_claude_code import claude_bin  # noqa: F401  (fixture reused)
from tests.proxy.test_codex_gemini_cli import GEMINI_KEY, OPENAI_KEY, _run, codex_bin, gemini_bin  # noqa: F401
from tests.relay_process import ROOT
from tests.web.test_auth import _wait_finished

# What each CLI's home held before init: the user's own choices, which init must keep and undo must
# restore (telemetry and update checks off, so the runs stay offline). Gemini CLI's settings use its
# current key names: it rewrites a file with deprecated ones (disableAutoUpdate), which undo would
# then rightly keep.
BEFORE = {
    ".claude/settings.json": json.dumps({"env": {"ANTHROPIC_CUSTOM_HEADERS": "X-Team: blue"},
                                         "includeCoAuthoredBy": False}, indent=2) + "\n",
    ".codex/config.toml": 'model = "gpt-5-codex"\napproval_policy = "never"\nsandbox_mode = "danger-full-access"\n'
                          "\n[analytics]\nenabled = false\n",
    ".gemini/settings.json": json.dumps({
        "privacy": {"usageStatisticsEnabled": False}, "telemetry": {"enabled": False},
        "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False}}),
}
WRITTEN = (".claude/settings.json", ".codex/config.toml", ".gemini/.env", ".gemini/settings.json")


def _relay(*args, env):
    done = subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _state(home):
    """Each file init may write: (bytes, mode), or None when it does not exist."""
    return {name: ((home / name).read_bytes(), (home / name).stat().st_mode & 0o777) if (home / name).exists()
            else None for name in WRITTEN}


def _rows():
    db = Store(paths.db_path())
    try:
        return db.read(lambda c: [tuple(r) for r in c.execute("SELECT os_user, cli FROM exchanges")])
    finally:
        db.close()


def test_what_init_remote_writes_takes_each_real_cli_through_the_team_relay(
        claude_bin, codex_bin, gemini_bin, team, upstream, tmp_path):  # noqa: F811
    relay, issued = team
    token = issued["alice"]
    home = Path(os.environ["HOME"])
    for name, text in BEFORE.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text)
        (home / name).chmod(0o644)
    before = _state(home)

    # The developer's machine has its own RELAY_HOME (init's backups); the team relay's is the test's.
    dev = {**os.environ, "RELAY_HOME": str(tmp_path / "dev-relay-home"), "RELAY_TOKEN": token}
    out = _relay("init", "--remote", relay.url + "/", "--token-env", "RELAY_TOKEN", "--codex", "--gemini", env=dev)
    assert "accepts the token in RELAY_TOKEN" in out, out
    assert token not in out
    assert token not in (home / ".codex/config.toml").read_text()   # Codex reads the variable at each run
    for private in (".claude/settings.json", ".gemini/.env"):       # the others hold it: owner-only
        assert token in (home / private).read_text()
        assert (home / private).stat().st_mode & 0o777 == 0o600

    # Each CLI with only its API key in the environment (and, for Codex, RELAY_TOKEN): no base URL
    # or header variable, so everything that routes it comes from the files init wrote.
    runs = [
        ("claude", claude_bin, ["-p", "say hi", "--output-format", "stream-json", "--verbose",
                                "--disallowedTools", "Bash"],
         {"ANTHROPIC_API_KEY": ANTHROPIC_KEY, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
          "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1"}),
        ("codex", codex_bin, ["exec", "--json", "--skip-git-repo-check", "say hi"],
         {"OPENAI_API_KEY": OPENAI_KEY, "RELAY_TOKEN": token}),
        ("gemini", gemini_bin, ["-m", "gemini-2.5-pro", "--output-format", "stream-json", "-p", "say hi"],
         {"GEMINI_API_KEY": GEMINI_KEY, "GEMINI_CLI_TRUST_WORKSPACE": "true"}),
    ]
    paths_seen = {}
    for name, binary, args, env in runs:
        seen = len(upstream.requests)
        (tmp_path / name).mkdir()
        _run(binary, relay, tmp_path / name, home, args, env)
        paths_seen[name] = {r["path"] for r in upstream.requests[seen:]}
        assert paths_seen[name], f"{name} sent nothing upstream"
    assert paths_seen["claude"] == {"/v1/messages?beta=true"}
    assert paths_seen["codex"] == {"/v1/responses"}
    assert paths_seen["gemini"] == {"/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"}

    _no_relay_header(upstream, issued)
    claude_headers = [{k.lower(): v for k, v in r["headers"].items()} for r in upstream.requests
                      if r["path"] in paths_seen["claude"]]
    assert all(h.get("x-team") == "blue" for h in claude_headers)   # the user's own header was kept
    _wait_finished(relay, token, len(upstream.requests))
    assert set(_rows()) == {("alice", "claude"), ("alice", "codex"),
                                                              ("alice", "gemini")}

    undone = _relay("init", "--undo", env=dev)
    assert "restored" in undone and "took relay's settings out" not in undone, undone   # no CLI rewrote them
    assert _state(home) == before
