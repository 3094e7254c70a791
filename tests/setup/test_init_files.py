"""`relay init` on files as users keep them: symlinked into a dotfiles folder (edited through the
link, undone through it, the link left a link), laid out in their own JSON style (indentation, key
order and the trailing newline kept), and a dry run that reads as English."""
import json
import os

from tests.setup.test_init import init, relay


def _dotfiles(home):
    dots = home / "dotfiles"
    (dots / "claude").mkdir(parents=True)
    (home / ".claude").mkdir()
    settings = dots / "claude" / "settings.json"
    settings.write_text('{\n    "model": "opus",\n    "env": {\n        "FOO": "1"\n    }\n}')   # no newline at end
    os.symlink(settings, home / ".claude" / "settings.json")
    claude_json = dots / "claude.json"
    claude_json.write_text('{\n\t"zeta": 1,\n\t"userID": "u1",\n\t"alpha": {"x": 1}\n}\n')
    os.symlink(claude_json, home / ".claude.json")
    return settings, claude_json


def test_init_edits_through_symlinks_and_undo_keeps_them(isolated_home):
    settings, claude_json = _dotfiles(isolated_home)
    before = {settings: settings.read_bytes(), claude_json: claude_json.read_bytes()}
    steps = init("--skip-server")
    assert steps["claude_settings"]["status"] == "changed" and steps["claude_mcp"]["status"] == "changed"
    for link, target in ((isolated_home / ".claude" / "settings.json", settings),
                         (isolated_home / ".claude.json", claude_json)):
        assert link.is_symlink() and os.path.realpath(link) == str(target)
    assert json.loads(settings.read_text())["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9111"
    assert "relay" in json.loads(claude_json.read_text())["mcpServers"]
    done = relay("init", "--undo")
    assert done.returncode == 0, done.stderr
    assert (isolated_home / ".claude.json").is_symlink() and (isolated_home / ".claude" / "settings.json").is_symlink()
    assert {p: p.read_bytes() for p in before} == before


def test_init_keeps_the_users_json_layout(isolated_home):
    settings, claude_json = _dotfiles(isolated_home)
    init("--skip-server")
    text = settings.read_text()
    assert text.startswith('{\n    "model": "opus",\n    "env": {\n        "FOO": "1",\n        "ANTHROPIC_BASE_URL"')
    assert not text.endswith("\n")
    text = claude_json.read_text()
    assert text.startswith('{\n\t"zeta": 1,\n\t"userID": "u1",\n\t"alpha": {') and text.endswith("}\n")
    assert list(json.loads(text)) == ["zeta", "userID", "alpha", "mcpServers"]


def test_dry_run_wording_reads_as_english(isolated_home):
    steps = init("--dry-run", "--skip-server")
    assert steps["claude_mcp"]["detail"].startswith("would register MCP server 'relay' for Claude Code")
    assert steps["claude_settings"]["detail"].startswith("would route Claude Code (no login found yet) through relay")
    assert "env.ANTHROPIC_BASE_URL = " in steps["claude_settings"]["detail"]
    assert all("would MCP" not in s["detail"] for s in steps.values())
