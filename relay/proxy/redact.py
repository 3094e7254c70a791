"""Credentials masked by their shape, not by where they appear.

A name denylist misses a key sent as `?%6Bey=`, `?token=`, in a path segment, or echoed back by
upstream in an error message; what a credential looks like does not change with where it is. Every
text relay stores about an exchange (its path, the client's user agent, upstream's error and
rate-limit headers) passes through `mask`, the stored path through `redact_target`. Pure.
"""
import re
from urllib.parse import unquote

MASK = "***"
_SHAPES = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"sk-ant-[A-Za-z0-9_-]{6,}"                               # Anthropic keys and OAuth tokens
    r"|sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}"        # OpenAI keys
    r"|AIza[A-Za-z0-9_-]{16,}"                                # Google API keys
    r"|ya29\.[A-Za-z0-9_-]{16,}"                              # Google OAuth access tokens
    r"|eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"  # JWTs
    r"|(?i:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"            # an Authorization value
    r")"
)
# Query parameters that carry a credential whatever its value looks like.
_SECRET_NAMES = re.compile(r"(?i)^(?:.*[-_]?(?:key|token|secret|password|passwd|signature|sig)|auth.*|code)$")


def mask(text):
    """`text` with every credential-shaped part replaced by ***; anything not a str as it is."""
    if not isinstance(text, str) or not text:
        return text
    return _SHAPES.sub(MASK, text)


def _secret(raw):
    return bool(_SHAPES.search(unquote(raw)))


def redact_target(target):
    """The request target as relay stores it: every query value whose (percent-decoded) name says
    it is a credential, and every path segment or query value shaped like one, replaced by ***."""
    path, sep, query = target.partition("?")
    segments = [MASK if _secret(segment) else segment for segment in path.split("/")]
    out = "/".join(segments)
    if sep:
        params = []
        for param in query.split("&"):
            name, eq, value = param.partition("=")
            if eq and value and (_SECRET_NAMES.match(unquote(name)) or _secret(value)):
                value = MASK
            elif not eq and _secret(name):
                name = MASK
            params.append(name + eq + value)
        out += "?" + "&".join(params)
    return out
