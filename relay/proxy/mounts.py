"""Which provider serves a client path: one table of mounts, matched in front of Flask.

A client points its base URL at a mount; relay strips the mount's `strip` prefix and sends the
rest of the path, query included, to that provider's upstream (the setting named by `setting`):
  /v1/...       Anthropic Messages (ANTHROPIC_BASE_URL=http://127.0.0.1:8083), forwarded as is
  /openai/...   OpenAI Responses / Chat Completions / models (base_url .../openai/v1) -> /v1/...
  /gemini/...   Gemini generateContent / streamGenerateContent / countTokens
                (GOOGLE_GEMINI_BASE_URL=.../gemini) -> /v1beta/models/...
  /backend-api/...   the ChatGPT backend Codex uses when logged in to ChatGPT (codex/responses,
                codex/models, wham/*, ps/*, analytics), forwarded as is to upstream_chatgpt
  /v1internal:...    Gemini Code Assist (Gemini CLI with a Google login, CODE_ASSIST_ENDPOINT),
                forwarded as is to upstream_code_assist
Pruning understands Anthropic Messages bodies only, so only that mount runs the request
stages; the other mounts pass bodies through untouched and run only history capture, which
reads every mount's model calls (relay.proxy.stages.capture).
"""
from dataclasses import dataclass
from types import ModuleType

from relay.proxy.providers import anthropic, chatgpt, code_assist, gemini, openai


@dataclass(frozen=True)
class Route:
    prefix: str           # matched on a path-segment boundary
    strip: str            # removed from the request target before it goes upstream
    provider: ModuleType
    setting: str          # the settings key holding this provider's upstream base URL
    stages: bool          # whether the request pipeline (pruning) runs on this mount; capture runs on all
    cli: str              # the client CLI this mount serves unless the user agent names another
    boundary: str = "/"   # characters that may follow the prefix (Code Assist: "/v1internal:method")

    def matches(self, path):
        return path == self.prefix or (path.startswith(self.prefix)
                                       and path[len(self.prefix):len(self.prefix) + 1] in self.boundary)

    def upstream_target(self, target):
        return target[len(self.strip):] if self.strip and target.startswith(self.strip) else target


ROUTES = (
    Route("/v1", "", anthropic, "upstream_anthropic", True, "claude"),
    Route("/openai", "/openai", openai, "upstream_openai", False, "codex"),
    Route("/gemini", "/gemini", gemini, "upstream_gemini", False, "gemini"),
    Route("/backend-api", "", chatgpt, "upstream_chatgpt", False, "codex"),
    Route("/v1internal", "", code_assist, "upstream_code_assist", False, "gemini", boundary=":/"),
)


def match(path, routes=ROUTES):
    for route in routes:
        if route.matches(path):
            return route
    return None
