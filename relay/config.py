"""One table of settings and how they resolve: defaults < config file < RELAY_* env < CLI flags.

Each setting names its type, default, help text and environment variable; `relay config` prints
the effective values and where each one came from. Parsing errors name the setting and the value.
"""
import os
from collections import namedtuple

from relay import datadir
from relay.errors import ConfigError


def _bool(text):
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _choice(*allowed):
    def parse(text):
        if text not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, got {text!r}")
        return text
    return parse


def _url(text):
    text = str(text).rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {text!r}")
    return text


def _optional_url(text):
    return _url(text) if str(text).strip() else ""


def _database_url(text):
    text = str(text).strip()
    if text and text.split(":", 1)[0] not in ("postgresql", "postgres"):
        scheme = text.split(":", 1)[0]   # never the rest: it may hold a password
        raise ValueError(f"expected empty (SQLite in the data dir) or a postgresql:// URL, got {scheme!r}")
    return text


def _port(text):
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(f"expected a port from 0 to 65535, got {text!r}")
    return value


def _positive(text):
    value = int(text)
    if value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _percent(text):
    value = float(text)
    if not 0 < value <= 1000:
        raise ValueError(f"expected a percentage above 0, got {text!r}")
    return value


def _seconds(text):
    value = float(text)
    if value <= 0:
        raise ValueError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _csv(text):
    if isinstance(text, (list, tuple)):
        return [str(t) for t in text]
    return [part.strip() for part in str(text).split(",") if part.strip()]


# A named tuple, not a dataclass: `relay statusline` reads its thresholds through this module, and
# the dataclass machinery (dataclasses, inspect, typing) is ~15 ms of that short process.
class Setting(namedtuple("Setting", "name parse default help")):
    """name, parse (text -> value, ValueError when bad), default, help text."""
    __slots__ = ()

    @property
    def env(self):
        return "RELAY_" + self.name.upper()


SETTINGS = [
    Setting("host", str, "127.0.0.1", "Address to bind. Keep 127.0.0.1 unless other machines must reach relay."),
    Setting("port", _port, 8083, "Port to bind; 0 picks a free one."),
    Setting("server", _choice("gevent", "waitress"), "gevent",
            "WSGI server; waitress is used when gevent cannot load."),
    Setting("upstream_anthropic", _url, "https://api.anthropic.com", "Where Anthropic Messages API traffic goes."),
    Setting("upstream_openai", _url, "https://api.openai.com",
            "Where OpenAI traffic (Codex CLI, mount /openai/v1) goes; relay appends /v1/..."),
    Setting("upstream_gemini", _url, "https://generativelanguage.googleapis.com",
            "Where Gemini API traffic (Gemini CLI, mount /gemini) goes; relay appends /v1beta/..."),
    Setting("upstream_chatgpt", _url, "https://chatgpt.com",
            "Where the ChatGPT backend traffic (Codex logged in to ChatGPT, mount /backend-api) goes."),
    Setting("upstream_code_assist", _url, "https://cloudcode-pa.googleapis.com",
            "Where Gemini Code Assist traffic (Gemini CLI with a Google login, mount /v1internal) goes."),
    Setting("connect_timeout", float, 10.0,
            "Seconds to wait for the upstream connection (only the connection: the body goes up under read_timeout)."),
    Setting("read_timeout", float, 600.0, "Seconds of upstream silence before an exchange is given up."),
    Setting("side_decode_limit_mb", _positive, 256,
            "MB of a compressed response relay decodes to read its usage; past it the usage is unknown "
            "(the client still gets every byte)."),
    Setting("allowed_hosts", _csv, [],
            "Extra Host header values the pages and API accept (localhost names always are)."),
    Setting("log_level", _choice("debug", "info", "warning", "error"), "info",
            "Log verbosity (headers and bodies are never logged)."),
    Setting("prune", _choice("off", "gentle", "standard", "aggressive"), "off",
            "Prune request bodies up to this tier (off by default: bodies pass byte-identical)."),
    Setting("prune_dry_run", _bool, False, "Record what pruning would remove, but send the original body."),
    Setting("prune_force", _bool, False, "Apply edits even where breaking the prompt cache costs more than they save."),
    Setting("history", _bool, False, "Capture each request and reassembled response per session (off by default)."),
    Setting("history_full_every", _positive, 50,
            "With history on, store a full snapshot of the messages every N turns."),
    Setting("guard_context_notice", _percent, 50.0, "Guard: context-window fill (%) of a session that is a notice."),
    Setting("guard_context_warn", _percent, 70.0, "Guard: context-window fill (%) that is a warning."),
    Setting("guard_context_critical", _percent, 85.0, "Guard: context-window fill (%) that is critical."),
    Setting("guard_quota_notice", _percent, 50.0, "Guard: 5h/7d quota utilization (%, the larger) that is a notice."),
    Setting("guard_quota_warn", _percent, 75.0, "Guard: quota utilization (%) that is a warning."),
    Setting("guard_quota_critical", _percent, 90.0, "Guard: quota utilization (%) that is critical."),
    Setting("guard_on_alert", str, "",
            "Guard: shell command run on each alert (alert JSON on stdin, RELAY_ALERT_* env)."),
    Setting("guard_notify", _bool, False, "Guard: desktop notification (notify-send/osascript) when a tier rises."),
    Setting("guard_hook_timeout", _seconds, 10.0, "Guard: seconds an on-alert command may run before it is killed."),
    Setting("database_url", _database_url, "",
            "Empty: SQLite in the data dir. A postgresql:// URL: that server instead, which several relays "
            "can share (needs the postgres extra: psycopg)."),
    Setting("cache_break_min_tokens", _positive, 1024,
            "Cache forensics: the smallest shortfall of a request's cache read (tokens) that is a break."),
    Setting("cache_breaks_limit", _positive, 3,
            "Cache forensics: a session breaking its cache more than this many times is a finding (cache_breaks)."),
    Setting("mcp_heavy_percent", _percent, 30.0,
            "Cache forensics: one MCP server taking more than this % of the window is a finding (mcp_heavy)."),
    Setting("otlp_endpoint", _optional_url, "",
            "An OpenTelemetry collector's OTLP/HTTP base URL (e.g. http://127.0.0.1:4318): relay exports GenAI "
            "metrics and a span per exchange there (needs the otel extra). Empty: no export."),
    Setting("lang", _choice("auto", "en", "ko"), "auto",
            "Language of the pages: auto follows the browser's Accept-Language; en or ko force one."),
    Setting("auth_tokens", str, "",
            "Access tokens file (relay tokens add): proxy, pages and API then require a person's token. "
            "Needed to bind beyond loopback."),
    Setting("allow_unauthenticated", _bool, False,
            "Bind beyond loopback without tokens: only where something else limits who connects "
            "(a container published on the host's 127.0.0.1)."),
]
BY_NAME = {s.name: s for s in SETTINGS}


class Settings(dict):
    """Effective values by name, with `sources[name]` telling where each came from."""

    def __init__(self, values, sources):
        super().__init__(values)
        self.sources = sources

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _read_file(path):
    if not os.path.isfile(path):
        return {}
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", hint="fix or remove the file") from exc


def load(flags=None, environ=None, config_file=None):
    env = os.environ if environ is None else environ
    file_values = _read_file(config_file or datadir.config_file(env))
    unknown = set(file_values) - set(BY_NAME)
    if unknown:
        raise ConfigError(f"unknown setting(s) in config file: {', '.join(sorted(unknown))}",
                          hint=f"known settings: {', '.join(BY_NAME)}")
    values, sources = {}, {}
    for s in SETTINGS:
        raw, source = s.default, "default"
        if s.name in file_values:
            raw, source = file_values[s.name], "file"
        if s.env in env:
            raw, source = env[s.env], "env " + s.env
        if flags and flags.get(s.name) is not None:
            raw, source = flags[s.name], "flag"
        try:
            values[s.name] = s.parse(raw) if source != "default" else raw
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad value for {s.name} (from {source}): {exc}") from exc
        sources[s.name] = source
    return Settings(values, sources)
