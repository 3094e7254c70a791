"""relay's own commands as clients of a running relay (`relay top`, `relay guard`, `relay doctor`,
`relay init --remote`): the access token they send when that relay has tokens on.

The token comes from the environment only (RELAY_TOKEN): a command-line option would put it in
the shell history and in every process listing. It is sent in X-Relay-Token and never written to
disk, logged or repeated in an error; messages name the variable, not its value.
"""
from urllib.parse import urlsplit, urlunsplit

from relay.errors import RelayError

HEADER = "X-Relay-Token"
TOKEN_ENV = "RELAY_TOKEN"
URL_ENV = "RELAY_URL"


def token(environ, name=TOKEN_ENV):
    """The access token in the environment variable `name`, or None."""
    value = (environ.get(name) or "").strip()
    return value or None


def headers(value):
    """The request headers that carry `value` ({} without a token)."""
    return {HEADER: value} if value else {}


def needs_token(answer):
    """True for a health answer relay gives a caller that is not signed in."""
    return isinstance(answer, dict) and answer.get("auth_required") is True


class TokenRefused(RelayError):
    """A relay with access tokens refused this command: no token, or one it does not know."""
    status = 401

    def __init__(self, base, sent, name=TOKEN_ENV):
        if sent:
            message = f"the relay at {base} refused the token in {name} (revoked or mistyped)"
            hint = f"ask for a new one (`relay tokens add NAME` on the relay's host) and export {name}"
        else:
            message = f"the relay at {base} needs a token: set {name}"
            hint = f"export {name}=<your token> (the one `relay tokens add` printed for you)"
        super().__init__(message, hint=hint)


def base_url(url, option="--url"):
    """`url` as the base every API path is appended to: http(s), a host, any path prefix kept
    without its trailing slash (https://relay.internal/team/ -> https://relay.internal/team).
    Credentials, a query or a fragment are refused: they would be printed in every message, or
    dropped or misplaced by the join."""
    try:
        parts = urlsplit((url or "").strip())
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise RelayError(f"{option} must be an http:// or https:// URL, got {url!r}",
                         hint="e.g. https://relay.internal/team/ or http://relay.internal:8083")
    if parts.username or parts.password:
        raise RelayError(f"{option} must not hold a user or password",
                         hint=f"relay's access token goes in {TOKEN_ENV}, not in the URL")
    if parts.query or parts.fragment:
        raise RelayError(f"{option} must not have a query or fragment, got {url!r}",
                         hint="name the relay's root, e.g. https://relay.internal/team/")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
