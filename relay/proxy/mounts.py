"""Which provider serves a client path: one table of mounts, matched in front of Flask.

A client points its base URL at a mount; relay strips the mount's `strip` prefix and sends the
rest of the path, query included, to that provider's upstream (the setting named by `setting`):
  /v1/...       Anthropic Messages (ANTHROPIC_BASE_URL=http://127.0.0.1:8083), forwarded as is
  /openai/...   OpenAI Responses / Chat Completions / models (base_url .../openai/v1) -> /v1/...
  /gemini/...   Gemini generateContent / streamGenerateContent / countTokens
                (GOOGLE_GEMINI_BASE_URL=.../gemini) -> /v1beta/models/...
Request stages (pruning, history capture) understand Anthropic Messages bodies only, so only
that mount runs them; the other mounts pass bodies through untouched.
"""
from dataclasses import dataclass
from types import ModuleType

from relay.proxy.providers import anthropic, gemini, openai


@dataclass(frozen=True)
class Route:
    prefix: str           # matched on a path-segment boundary
    strip: str            # removed from the request target before it goes upstream
    provider: ModuleType
    setting: str          # the settings key holding this provider's upstream base URL
    stages: bool          # whether the request pipeline runs on this mount

    def matches(self, path):
        return path == self.prefix or path.startswith(self.prefix + "/")

    def upstream_target(self, target):
        return target[len(self.strip):] if self.strip and target.startswith(self.strip) else target


ROUTES = (
    Route("/v1", "", anthropic, "upstream_anthropic", True),
    Route("/openai", "/openai", openai, "upstream_openai", False),
    Route("/gemini", "/gemini", gemini, "upstream_gemini", False),
)


def match(path, routes=ROUTES):
    for route in routes:
        if route.matches(path):
            return route
    return None
