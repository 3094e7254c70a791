"""What relay knows about each client CLI, one module per CLI: claude, codex, gemini.

Each module has the same names: NAME, BINARY, PACKAGE, HOME_ENV, AUTH_ENV, AUTH_FILES, USER_AGENTS,
home(environ), session_root(environ), base_url(environ), auth(environ), config_files(environ).
These three names are the clients' only names across relay (session providers, index rows, the
API); "anthropic", "openai" and "gemini" name the wire APIs the proxy mounts, not the clients.
"""
from relay.clients import claude, codex, gemini
from relay.errors import RelayError

CLIENTS = {m.NAME: m for m in (claude, codex, gemini)}
NAMES = tuple(CLIENTS)


def get(name):
    """The module of client `name`; a RelayError (400) for an unknown name."""
    if name not in CLIENTS:
        raise RelayError(f"unknown CLI {name!r}", hint=f"choose one of {', '.join(NAMES)}", status=400)
    return CLIENTS[name]


def from_user_agent(user_agent):
    """The CLI a User-Agent names (by its module's USER_AGENTS prefixes), or None."""
    agent = (user_agent or "").strip().lower()
    for name, module in CLIENTS.items():
        if agent.startswith(module.USER_AGENTS):
            return name
    return None


def all_clients():
    """The client modules, in NAMES order."""
    return list(CLIENTS.values())
