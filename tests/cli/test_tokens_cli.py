"""`relay tokens` keeps only hashes in a 0600 file and prints each token once; `relay serve`
refuses to listen beyond loopback without tokens."""
import os
import stat

import pytest

from relay import config
from relay.errors import ConfigError
from relay.web import tokens as tokens_file
from tests.cli.test_cli_basics import run


def test_add_list_revoke_keep_only_hashes(tmp_path):
    path = tmp_path / "team" / "tokens.toml"
    added = run("tokens", "add", "alice", "--file", str(path))
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("relay_") and len(token) >= 40 and "\n" not in token
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert token not in text and token[6:] not in text and tokens_file.digest(token) in text
    assert run("tokens", "add", "bob", "--file", str(path)).returncode == 0
    again = run("tokens", "add", "alice", "--file", str(path))
    assert again.returncode != 0 and "already has a token" in again.stderr and "Traceback" not in again.stderr
    assert run("tokens", "add", "no spaces", "--file", str(path)).returncode != 0
    listed = run("tokens", "list", "--file", str(path)).stdout
    assert listed.split()[0] == "alice" and "bob" in listed and token not in listed
    assert tokens_file.Tokens(path).person_for(token) == "alice"
    assert run("tokens", "revoke", "alice", "--file", str(path)).returncode == 0
    assert "alice" not in run("tokens", "list", "--file", str(path)).stdout
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert tokens_file.Tokens(path).person_for(token) is None
    assert run("tokens", "revoke", "alice", "--file", str(path)).returncode != 0


def test_default_file_is_the_setting(tmp_path, monkeypatch):
    path = tmp_path / "from-env.toml"
    monkeypatch.setenv("RELAY_AUTH_TOKENS", str(path))
    assert run("tokens", "add", "carol").returncode == 0
    assert [e["person"] for e in tokens_file.read(path)] == ["carol"]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "relay.internal"])
def test_beyond_loopback_needs_tokens(host):
    with pytest.raises(ConfigError) as refused:
        tokens_file.check_bind(host, "")
    assert host in refused.value.message and "--auth-tokens" in refused.value.hint
    tokens_file.check_bind(host, "/etc/relay/tokens.toml")
    tokens_file.check_bind(host, "", allow_unauthenticated=True)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.5", "::1", "[::1]", "localhost"])
def test_loopback_needs_none(host):
    tokens_file.check_bind(host, "")


def test_serve_refuses_to_start_on_every_interface_without_tokens(tmp_path):
    refused = run("serve", "--host", "0.0.0.0", "--port", "0")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "will not listen on 0.0.0.0 without access tokens" in refused.stderr
    assert "relay tokens add" in refused.stderr
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    no_tokens = run("serve", "--host", "0.0.0.0", "--port", "0", "--auth-tokens", str(empty))
    assert no_tokens.returncode != 0 and "holds no token" in no_tokens.stderr


def test_settings_from_file_and_env(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('auth_tokens = "/srv/tokens.toml"\n')
    settings = config.load({}, environ={"RELAY_ALLOW_UNAUTHENTICATED": "1"}, config_file=cfg)
    assert settings.auth_tokens == "/srv/tokens.toml" and settings.allow_unauthenticated is True
