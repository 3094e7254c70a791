"""Gemini CLI: its home (~/.gemini or RELAY_GEMINI_HOME), session files, .env and settings.json,
and its login.

Session files: <home>/tmp/<project>/chats/session-*.jsonl and the older *.json; <project> is the
sha256 of the cwd, or the short name projects.json gives it (absent in older versions).
relay points Gemini at itself in <home>/.env, in a relay block, by login (`login_mode`): with an
API key, GOOGLE_GEMINI_BASE_URL (the Gemini API, relay's /gemini mount); with a Google login
(Code Assist), CODE_ASSIST_ENDPOINT (relay's /v1internal mount), the auth type left as it is.
"""
import json
import os

from relay.clients import base
from relay.userfiles import put_block, read_json, remove_block

NAME = "gemini"
BINARY = "gemini"
PACKAGE = "@google/gemini-cli"
# Lower-case starts of the User-Agent each of its processes sends (the CLI, its MCP client ...).
USER_AGENTS = ("geminicli",)
HOME_ENV = "RELAY_GEMINI_HOME"
BASE_URL_VAR = "GOOGLE_GEMINI_BASE_URL"
AUTH_ENV = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
AUTH_FILES = ("oauth_creds.json",)
CONFIG_FILES = ("settings.json", ".env")
AUTH_TYPE_KEYS = ["security", "auth", "selectedType"]
API_KEY_AUTH = "gemini-api-key"
CODE_ASSIST_VAR = "CODE_ASSIST_ENDPOINT"
API_KEY, GOOGLE = "api-key", "google"
# Auth types that reach Google through Code Assist (cloudcode-pa), not the Gemini API.
CODE_ASSIST_AUTH = ("oauth-personal", "compute-default-credentials", "cloud-shell", "login-with-google")
TAG = "gemini"
HEADERS_VAR = "GEMINI_CLI_CUSTOM_HEADERS"
HEADERS_TAG = "gemini headers"


def home(environ=None):
    return base.cli_home(HOME_ENV, ".gemini", environ)


def session_root(environ=None):
    return home(environ) / "tmp"


def env_path(environ=None):
    return home(environ) / ".env"


def settings_path(environ=None):
    return home(environ) / "settings.json"


def auth(environ=None):
    return base.auth(home(environ), environ, AUTH_ENV, AUTH_FILES)


def config_files(environ=None):
    return [c for c in CONFIG_FILES if (home(environ) / c).is_file()]


def auth_type(environ=None):
    """security.auth.selectedType from settings.json (the older top-level selectedAuthType too)."""
    data, _ = read_json(settings_path(environ))
    if not isinstance(data, dict):
        return None
    auth = ((data.get("security") or {}).get("auth") or {}) if isinstance(data.get("security"), dict) else {}
    chosen = auth.get("selectedType") if isinstance(auth, dict) else None
    chosen = chosen or data.get("selectedAuthType")
    return chosen if isinstance(chosen, str) and chosen else None


def login_mode(environ=None):
    """"google" (a Google login: Code Assist), "api-key", "vertex-ai" or None (none chosen yet)."""
    chosen = auth_type(environ)
    if chosen in CODE_ASSIST_AUTH:
        return GOOGLE
    if chosen == API_KEY_AUTH:
        return API_KEY
    if chosen:
        return chosen
    return GOOGLE if (home(environ) / "oauth_creds.json").is_file() and not auth(environ)["env"] else None


def projects(environ=None):
    """cwd -> short project name, from projects.json ({} when absent or unreadable)."""
    try:
        with open(home(environ) / "projects.json", "rb") as f:
            found = json.load(f).get("projects", {})
        return {cwd: name for cwd, name in found.items() if isinstance(name, str)}
    except (OSError, ValueError, AttributeError):
        return {}


def chat_dirs(cwd, environ=None):
    """The chats/ folders a Gemini CLI run in `cwd` writes to, by hash and by short name."""
    import hashlib  # here, not at the top: OpenSSL's load was felt by every `relay report`
    names = [hashlib.sha256(cwd.encode("utf-8", "surrogatepass")).hexdigest()]
    short = projects(environ).get(cwd)
    if short:
        names.append(short)
    return [session_root(environ) / name / "chats" for name in names]


def read_env(path):
    """KEY=VALUE lines of a dotenv file ({} when it cannot be read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    return read_env_text(text)


def read_env_text(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return out


def set_key(text, key, value):
    return put_block(text, TAG, [f"{key}={value}"], replaces=rf"\s*(export\s+)?{key}\s*=")


def point_at(text, url, mode=API_KEY):
    """.env text that sends Gemini CLI to `url` for login `mode`; the rest of the file is kept."""
    return set_key(text, CODE_ASSIST_VAR if mode == GOOGLE else BASE_URL_VAR, url)


def set_header(text, name, value):
    """.env text whose GEMINI_CLI_CUSTOM_HEADERS (`Name: value, Other: value`) carries `name: value`,
    keeping the user's other headers. Gemini CLI reads .env values literally (no $VAR expansion),
    so the value itself goes in."""
    own = [h for h in read_env_text(text).get(HEADERS_VAR, "").split(",")
           if h.strip() and h.split(":", 1)[0].strip().lower() != name.lower()]
    return put_block(text, HEADERS_TAG, [f"{HEADERS_VAR}={', '.join([*(h.strip() for h in own), f'{name}: {value}'])}"],
                     replaces=rf"\s*(export\s+)?{HEADERS_VAR}\s*=")


def unset(text):
    return remove_block(remove_block(text, HEADERS_TAG), TAG)


def base_url(environ=None):
    """Where Gemini CLI's traffic goes: its .env wins over the environment."""
    env = os.environ if environ is None else environ
    values = read_env(env_path(env))
    if login_mode(env) == GOOGLE:
        return values.get(CODE_ASSIST_VAR) or env.get(CODE_ASSIST_VAR)
    return values.get(BASE_URL_VAR) or env.get(BASE_URL_VAR)
