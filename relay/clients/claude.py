"""Claude Code: its home (~/.claude or RELAY_CLAUDE_HOME), session files, settings.json and its
env.ANTHROPIC_BASE_URL, the MCP registration in ~/.claude.json or ./.mcp.json, and its login.

Session files: <home>/projects/<cwd with every non-alphanumeric char as "-">/<session id>.jsonl,
and the sidechains of a session in <session id>/subagents/agent-*.jsonl.
"""
import os
import re
import shlex

from relay import paths
from relay.clients import base
from relay.userfiles import read_json

NAME = "claude"
BINARY = "claude"
PACKAGE = "@anthropic-ai/claude-code"        # seen in the argv of its node launcher
# Lower-case starts of the User-Agent each of its processes sends (the CLI, its MCP client ...).
USER_AGENTS = ("claude-cli/", "claude-code/")
HOME_ENV = "RELAY_CLAUDE_HOME"
BASE_URL_VAR = "ANTHROPIC_BASE_URL"
HEADERS_VAR = "ANTHROPIC_CUSTOM_HEADERS"
AUTH_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
AUTH_FILES = (".credentials.json",)
CONFIG_FILES = ("settings.json",)
MCP_NAME = "relay"


def home(environ=None):
    return base.cli_home(HOME_ENV, ".claude", environ)


def session_root(environ=None):
    return home(environ) / "projects"


def project_dir_name(cwd):
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


def project_dir(cwd, environ=None):
    """Where Claude Code files the sessions it runs in `cwd`."""
    return session_root(environ) / project_dir_name(cwd)


def settings_path(environ=None):
    return home(environ) / "settings.json"


def user_config_path(environ=None):
    """~/.claude.json (always under HOME, not the Claude home): user-scope MCP servers, per-project state."""
    return base.user_home(environ) / ".claude.json"


def settings_base_url(environ=None):
    """env.ANTHROPIC_BASE_URL from settings.json, or None."""
    data, _ = read_json(settings_path(environ))
    env = data.get("env") if isinstance(data, dict) else None
    value = env.get(BASE_URL_VAR) if isinstance(env, dict) else None
    return value if isinstance(value, str) and value else None


def base_url(environ=None):
    """Where Claude Code's traffic goes: settings.json wins over the environment."""
    env = os.environ if environ is None else environ
    return settings_base_url(env) or env.get(BASE_URL_VAR)


def base_url_setting(url):
    """The settings.json assignment that sends Claude Code to `url` (for userfiles.plan_json)."""
    return [(["env", BASE_URL_VAR], url)]


def headers_setting(current, name, value):
    """The settings.json assignment that adds header `name: value` to ANTHROPIC_CUSTOM_HEADERS
    (one `Name: value` per line), keeping the user's other headers. Claude Code reads the value
    literally (no $VAR expansion in settings.json), so the token itself goes in."""
    lines = [line for line in (current or "").splitlines()
             if line.strip() and line.split(":", 1)[0].strip().lower() != name.lower()]
    return [(["env", HEADERS_VAR], "\n".join([*lines, f"{name}: {value}"]))]


def settings_env(environ, key):
    """env.<key> from settings.json, or None."""
    data, _ = read_json(settings_path(environ))
    env = data.get("env") if isinstance(data, dict) else None
    value = env.get(key) if isinstance(env, dict) else None
    return value if isinstance(value, str) else None


def auth(environ=None):
    return base.auth(home(environ), environ, AUTH_ENV, AUTH_FILES)


def login_mode(environ=None):
    """"api-key" (a key or token in the environment, or an apiKeyHelper), "oauth" (a subscription
    login's credentials file) or None. Both go through the same base URL: the OAuth bearer is
    passed on untouched."""
    env = os.environ if environ is None else environ
    data, _ = read_json(settings_path(env))
    if auth(env)["env"] or (isinstance(data, dict) and data.get("apiKeyHelper")):
        return "api-key"
    return "oauth" if (home(env) / ".credentials.json").is_file() else None


def config_files(environ=None):
    found = [c for c in CONFIG_FILES if (home(environ) / c).is_file()]
    if user_config_path(environ).is_file():
        found.append(os.path.join("~", ".claude.json"))
    return found


# --- MCP registration ------------------------------------------------------------------------

def mcp_spec(environ):
    """The user-scope mcpServers entry: this relay's own command, and RELAY_HOME when it is set
    so the MCP server reads the same database as the proxy."""
    command = paths.self_command()
    spec = {"type": "stdio", "command": command[0], "args": [*command[1:], "mcp"], "env": {}}
    if environ.get("RELAY_HOME"):
        spec["env"]["RELAY_HOME"] = str(paths.data_dir(environ))
    return spec


def mcp_setting(environ):
    """The ~/.claude.json assignment that registers relay (for userfiles.plan_json)."""
    return [(["mcpServers", MCP_NAME], mcp_spec(environ))]


def is_relay_server(name, spec):
    if not isinstance(spec, dict):
        return False
    args = [a for a in spec.get("args") or [] if isinstance(a, str)]
    words = [spec.get("command") or ""] + args
    return name.lower() == "relay" or (any("relay" in w for w in words) and "mcp" in args)


def registrations(environ, cwd):
    """(where, name, spec) of every relay MCP server registration Claude Code would read in `cwd`."""
    found = []
    for path in dict.fromkeys([user_config_path(environ), home(environ) / ".claude.json"]):
        data, _ = read_json(path)
        if not isinstance(data, dict):
            continue
        scopes = [("user scope", data.get("mcpServers"))]
        projects = data.get("projects") if isinstance(data.get("projects"), dict) else {}
        scopes += [(f"project {p}", (v or {}).get("mcpServers")) for p, v in projects.items() if isinstance(v, dict)]
        for where, servers in scopes:
            if isinstance(servers, dict):
                found += [(where, n, s) for n, s in servers.items() if is_relay_server(n, s)]
    data, _ = read_json(cwd / ".mcp.json")
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if isinstance(servers, dict):
        found += [(f"{cwd / '.mcp.json'}", n, s) for n, s in servers.items() if is_relay_server(n, s)]
    return found


def approved(environ, cwd, name):
    """A project-scope (.mcp.json) server runs only once approved, in ~/.claude.json or a settings file."""
    data, _ = read_json(user_config_path(environ))
    project = ((data or {}).get("projects") or {}).get(str(cwd)) if isinstance(data, dict) else None
    sources = [project] + [read_json(p)[0] for p in (cwd / ".claude" / "settings.json",
                                                      cwd / ".claude" / "settings.local.json",
                                                      settings_path(environ))]
    for src in sources:
        if isinstance(src, dict) and (src.get("enableAllProjectMcpServers") is True
                                      or name in (src.get("enabledMcpjsonServers") or [])):
            return True
    return False


# --- status line -----------------------------------------------------------------------------

STATUSLINE_KEYS = ["statusLine"]


def statusline_spec(environ):
    """settings.json's statusLine entry that runs `relay statusline` (this relay's own, in its
    quick-starting form: paths.statusline_command), with RELAY_HOME when it is set so the line
    reads the proxy's database."""
    argv = paths.statusline_command()
    command = " ".join(shlex.quote(a) for a in argv)
    if environ.get("RELAY_HOME"):
        command = f"RELAY_HOME={shlex.quote(str(paths.data_dir(environ)))} {command}"
    return {"type": "command", "command": command, "padding": 0}


def is_relay_statusline(spec):
    """True for a statusLine entry that runs `relay statusline` (ours, from any install, in the
    `relay statusline` form earlier versions wrote or the statusline_entry.py form)."""
    command = spec.get("command") if isinstance(spec, dict) else None
    return (isinstance(command, str) and "relay" in command
            and command.rstrip().endswith(("statusline", "statusline_entry.py")))
