"""Codex CLI: its home (~/.codex or RELAY_CODEX_HOME), session files, config.toml and its login.

Session files: <home>/sessions/YYYY/MM/DD/rollout-*.jsonl (older: flat under sessions/).
relay points Codex at itself with a `relay` model provider and `model_provider = "relay"` in
config.toml, written as relay blocks (the selection must sit among the top-level keys, before any
table). How depends on the login (`login_mode`): with an API key the provider goes to relay's
/openai mount and reads OPENAI_API_KEY; with a ChatGPT login (auth.json holding tokens) it goes to
the /backend-api mount with `requires_openai_auth = true` (Codex then sends its ChatGPT token and
account id, and asks for no key), and `chatgpt_base_url` sends the rest of Codex's ChatGPT
backend calls (models, wham, plugins) through relay too.
"""
import os

from relay.clients import base
from relay.errors import RelayError
from relay.userfiles import put_block, read_json, remove_block

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
BLOCKS = ("codex provider", "codex selection", "codex chatgpt")
API_KEY, CHATGPT = "api-key", "chatgpt"


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
    # imported here: discovery (every `relay report`) imports this module and never reads TOML
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text or "")
    except ValueError as exc:
        raise RelayError(f"{path} is not valid TOML ({exc})", hint="fix it by hand, then run relay init again") from exc


def config_error(path):
    """Why config.toml at `path` cannot be read ("... (at line L, column C)"), or None."""
    try:
        _load(path.read_text(encoding="utf-8"), path)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return f"{path} is not readable ({exc})"
    except RelayError as exc:
        return str(exc)
    return None


def login_mode(environ=None):
    """"chatgpt" when auth.json holds ChatGPT tokens (Codex prefers them), "api-key" when it holds
    a key or OPENAI_API_KEY is set, else None (not logged in)."""
    env = os.environ if environ is None else environ
    data, _ = read_json(home(env) / "auth.json")
    if isinstance(data, dict):
        tokens = data.get("tokens")
        if data.get("auth_mode") == CHATGPT or (isinstance(tokens, dict) and tokens.get("access_token")
                                                and not data.get("OPENAI_API_KEY")):
            return CHATGPT
        if data.get("OPENAI_API_KEY"):
            return API_KEY
    return API_KEY if env.get("OPENAI_API_KEY") else None


def point_at(text, base_url, path="config.toml", mode=API_KEY, chatgpt_base_url=None, header_env=None):
    """config.toml text that sends Codex through relay for login `mode`; the rest of the file is
    kept. For a ChatGPT login, base_url is the /backend-api/codex mount and chatgpt_base_url the
    /backend-api/ one (None: Codex's other ChatGPT calls go straight to ChatGPT). `header_env`
    is (header, variable): Codex sends the variable's value in that header (env_http_headers),
    so the value itself is never written into config.toml."""
    _load(text, path)
    plain = unset(text or "")
    if PROVIDER in (_load(plain, path).get("model_providers") or {}):
        raise RelayError(f"{path} already defines [model_providers.{PROVIDER}] outside relay's block",
                         hint="rename or remove it, then run relay init again")
    text = put_block(text, "codex selection", [f'model_provider = "{PROVIDER}"'],
                     replaces=r"\s*model_provider\s*=", at_start=True, region=_top_region)
    if mode == CHATGPT and chatgpt_base_url:
        text = put_block(text, "codex chatgpt", [f'chatgpt_base_url = "{chatgpt_base_url}"'],
                         replaces=r"\s*chatgpt_base_url\s*=", at_start=True, region=_top_region)
    else:
        text = remove_block(text, "codex chatgpt")
    auth = "requires_openai_auth = true" if mode == CHATGPT else 'env_key = "OPENAI_API_KEY"'
    extra = [f'env_http_headers = {{ "{header_env[0]}" = "{header_env[1]}" }}'] if header_env else []
    text = put_block(text, "codex provider", [
        f"[model_providers.{PROVIDER}]", f'name = "{PROVIDER}"', f'base_url = "{base_url}"',
        'wire_api = "responses"', auth, *extra])
    _load(text, path)  # never write a file Codex could not read
    return text


def unset(text):
    for tag in BLOCKS:
        text = remove_block(text, tag)
    return text


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
