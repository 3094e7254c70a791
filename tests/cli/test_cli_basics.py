"""The command group itself: version, help, config, and errors without tracebacks."""
import json
import subprocess
import sys

from relay import __version__
from tests.relay_process import ROOT


def run(*args, env=None):
    return subprocess.run([sys.executable, str(ROOT / "relay.py"), *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, env=env)


def test_version_and_help():
    assert run("--version").stdout.strip().startswith(f"relay {__version__} (commit ")
    helped = run("-h")
    assert helped.returncode == 0
    for name in ("serve", "scan", "doctor", "recover", "config"):
        assert f"  {name}" in helped.stdout
    serve_help = run("serve", "-h").stdout
    for flag in ("--host", "--port", "--upstream-anthropic", "--server"):
        assert flag in serve_help


def test_version_is_written_once():
    # pyproject reads it from relay/__init__.py; the built wheel's metadata is checked by tests/artifacts
    try:
        import tomllib
    except ImportError:   # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "relay.__init__.__version__"}


def test_config_shows_sources(monkeypatch):
    monkeypatch.setenv("RELAY_PORT", "9999")
    shown = json.loads(run("config", "--format", "json").stdout)
    port = next(s for s in shown["settings"] if s["name"] == "port")
    assert (port["value"], port["source"], port["env"]) == (9999, "env RELAY_PORT", "RELAY_PORT")


def test_bad_setting_is_a_clean_error(monkeypatch):
    monkeypatch.setenv("RELAY_PORT", "eighty")
    done = run("serve")
    assert done.returncode == 2
    assert done.stderr.startswith("Error: bad value for port") and "Traceback" not in done.stderr


def test_docs_document_every_setting_and_command():
    settings = (ROOT / "docs" / "settings.md").read_text()
    commands = (ROOT / "docs" / "commands.md").read_text()
    from relay import config
    from relay.cli import COMMANDS
    for setting in config.SETTINGS:
        assert f"`{setting.env}`" in settings, setting.env
    for name in COMMANDS:
        assert f"`relay {name}" in commands, name
