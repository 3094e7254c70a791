"""Codex CLI: its home (~/.codex or RELAY_CODEX_HOME), session files, config.toml and its login.

Session files: <home>/sessions/YYYY/MM/DD/rollout-*.jsonl (older: flat under sessions/).
relay points Codex at itself with a `relay` model provider and `model_provider = "relay"` in
config.toml, written as two relay blocks (the selection must sit among the top-level keys,
before any table).
"""
try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from relay.clients import base
from relay.errors import RelayError
from relay.userfiles import put_block, remove_block

NAME = "codex"
BINARY = "codex"
PACKAGE = "@openai/codex"
# Lower-case starts of the User-Agent each of its processes sends (the CLI, its MCP client ...).
USER_AGENTS = ("codex_", "codex-", "codex/")
HOME_ENV = "RELAY_CODEX_HOME"
AUTH_ENV = ("OPENAI_API_KEY",)
AUTH_FILES = ("auth.json",)
CONFIG_FILES = ("config.toml",)
PROVIDER = "relay"
BLOCKS = ("codex provider", "codex selection")


def home(environ=None):
    return base.cli_home(HOME_ENV, ".codex", environ)


def session_root(environ=None):
    return home(environ) / "sessions"


def config_path(environ=None):
    return home(environ) / "config.toml"


def auth(environ=None):
    return base.auth(home(environ), environ, AUTH_ENV, AUTH_FILES)


def config_files(environ=None):
    return [c for c in CONFIG_FILES if (home(environ) / c).is_file()]


def _top_region(lines):
    return next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))


def _load(text, path):
    try:
        return tomllib.loads(text or "")
    except ValueError as exc:
        raise RelayError(f"{path} is not valid TOML ({exc})", hint="fix it by hand, then run relay init again") from exc


def point_at(text, base_url, path="config.toml"):
    """config.toml text that sends Codex through relay; the rest of the file is kept."""
    _load(text, path)
    plain = unset(text or "")
    if PROVIDER in (_load(plain, path).get("model_providers") or {}):
        raise RelayError(f"{path} already defines [model_providers.{PROVIDER}] outside relay's block",
                         hint="rename or remove it, then run relay init again")
    text = put_block(text, "codex selection", [f'model_provider = "{PROVIDER}"'],
                     replaces=r"\s*model_provider\s*=", at_start=True, region=_top_region)
    text = put_block(text, "codex provider", [
        f"[model_providers.{PROVIDER}]", f'name = "{PROVIDER}"', f'base_url = "{base_url}"',
        'wire_api = "responses"', 'env_key = "OPENAI_API_KEY"'])
    _load(text, path)  # never write a file Codex could not read
    return text


def unset(text):
    return remove_block(remove_block(text, "codex provider"), "codex selection")


def base_url(environ=None):
    """The base URL of the selected model provider, or None (built-in provider, no file)."""
    path = config_path(environ)
    try:
        data = _load(path.read_text(encoding="utf-8"), path)
    except (OSError, RelayError):
        return None
    selected = data.get("model_provider")
    provider = (data.get("model_providers") or {}).get(selected) if selected else None
    return provider.get("base_url") if isinstance(provider, dict) else None
