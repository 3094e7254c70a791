"""relay.clients: one module per CLI, one name per CLI, homes as RELAY_*_HOME say."""
import json
import sqlite3

import pytest

from relay import clients
from relay.clients import claude, codex, gemini
from relay.errors import RelayError
from relay.store import Store, migrations


def test_registry_names_and_lookup():
    assert clients.NAMES == ("claude", "codex", "gemini")
    assert [c.NAME for c in clients.all_clients()] == list(clients.NAMES)
    assert clients.get("codex") is codex
    with pytest.raises(RelayError) as err:
        clients.get("claude-code")
    assert err.value.status == 400


def test_homes_follow_the_relay_env_vars_else_home(tmp_path):
    env = {"HOME": str(tmp_path), "RELAY_CODEX_HOME": str(tmp_path / "cx")}
    assert claude.home(env) == tmp_path / ".claude" and claude.session_root(env) == tmp_path / ".claude" / "projects"
    assert codex.session_root(env) == tmp_path / "cx" / "sessions"
    assert gemini.session_root(env) == tmp_path / ".gemini" / "tmp"
    assert claude.user_config_path(env) == tmp_path / ".claude.json"


def test_base_urls_come_from_each_clients_own_file(tmp_path):
    env = {"HOME": str(tmp_path), "ANTHROPIC_BASE_URL": "http://env:1", "GOOGLE_GEMINI_BASE_URL": "http://env:2"}
    assert claude.base_url(env) == "http://env:1" and gemini.base_url(env) == "http://env:2"
    assert codex.base_url(env) is None
    claude.settings_path(env).parent.mkdir()
    claude.settings_path(env).write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": "http://file:1"}}))
    gemini.env_path(env).parent.mkdir()
    gemini.env_path(env).write_text(gemini.point_at("", "http://file:2"))
    codex.config_path(env).parent.mkdir()
    codex.config_path(env).write_text(codex.point_at("", "http://file:3/openai/v1"))
    assert claude.base_url(env) == "http://file:1" and gemini.base_url(env) == "http://file:2"
    assert codex.base_url(env) == "http://file:3/openai/v1"


def test_auth_mode_names_only(tmp_path):
    env = {"HOME": str(tmp_path)}
    assert codex.auth(env) == {"state": "none", "env": [], "files": []}
    codex.home(env).mkdir()
    (codex.home(env) / "auth.json").write_text("{}")
    assert codex.auth(env) == {"state": "login", "env": [], "files": ["auth.json"]}
    assert codex.auth({**env, "OPENAI_API_KEY": "sk-secret"}) == {"state": "env", "env": ["OPENAI_API_KEY"],
                                                                  "files": ["auth.json"]}


def test_migration_renames_claude_code_rows(tmp_path):
    db = tmp_path / "r.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM _relay_migrations WHERE name = 'm007_client_name_claude'")
    conn.execute("INSERT INTO session_index (session_key, provider, session_id, path, analyzed_at) "
                 "VALUES ('claude-code:abc', 'claude-code', 'abc', '/p', 0), ('codex:x', 'codex', 'x', '/q', 0)")
    conn.execute("INSERT INTO session_files (path, session_key, provider, role, size, mtime_ns, inode, offset, "
                 "parser_version, scanned_at) "
                 "VALUES ('/p', 'claude-code:abc', 'claude-code', 'main', 1, 1, 1, 0, 1, 0)")
    conn.commit()
    assert migrations.migrate(conn) == ["m007_client_name_claude"]
    assert sorted(conn.execute("SELECT session_key, provider FROM session_index")) == [
        ("claude:abc", "claude"), ("codex:x", "codex")]
    assert list(conn.execute("SELECT session_key, provider FROM session_files")) == [("claude:abc", "claude")]


def test_user_agents_name_their_cli():
    assert clients.from_user_agent("claude-cli/2.1.330 (external, sdk-cli)") == "claude"
    assert clients.from_user_agent("codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm") == "codex"
    assert clients.from_user_agent("codex-mcp-client/0.169.0") == "codex"
    assert clients.from_user_agent("GeminiCLI-tui/0.61.0/gemini-2.5-pro (linux; x64; terminal)") == "gemini"
    assert clients.from_user_agent("OpenAI/Python 1.99") is None and clients.from_user_agent(None) is None


def test_migration_names_the_cli_of_earlier_rows(tmp_path):
    db = tmp_path / "r.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM _relay_migrations WHERE name = 'm008_i15_client_cli'")
    conn.execute("ALTER TABLE exchanges DROP COLUMN cli")
    rows = [("a", "anthropic", "claude-cli/2.1"), ("b", "openai", "codex_exec/0.169"), ("c", "gemini", None),
            ("d", "anthropic", "python-httpx/0.28"), ("e", "openai", "GeminiCLI/0.61")]
    conn.executemany("INSERT INTO exchanges (id, ts, provider, method, path, client) VALUES (?, 0, ?, 'POST', '/', ?)",
                     rows)
    conn.commit()
    assert migrations.migrate(conn) == ["m008_i15_client_cli"]
    assert dict(conn.execute("SELECT id, cli FROM exchanges")) == {"a": "claude", "b": "codex", "c": "gemini",
                                                                   "d": "claude", "e": "gemini"}
