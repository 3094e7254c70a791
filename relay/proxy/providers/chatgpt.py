"""ChatGPT backend (Codex CLI logged in to ChatGPT): what relay reads from the `/backend-api/...`
tree. Pure, no I/O; the same interface as providers.anthropic.

Codex calls much more than the model there (codex/models, wham/*, ps/*, analytics events); all of
it is relayed as is, and only two answers carry something relay records:
- `codex/responses` is the Responses API (streamed), read exactly as providers.openai reads it:
  usage with cached input as cache reads and reasoning tokens, the session-id / thread-id header as
  the session, the x-codex-primary-* / -secondary-* headers as the plan's 5 h and weekly windows;
- `wham/usage` (what Codex asks for its /status) answers with the same windows as JSON; they are
  recorded under the header names relay.costs.quota already reads, so both count as one measure.
Other answers may be SSE of another kind (ps/mcp is MCP over HTTP): such a stream is complete when
it ends, since only a Responses stream has a final event to wait for.
"""
from relay.proxy.providers import openai
from relay.proxy.providers.common import as_int

PROVIDER = "openai"            # the wire API of its model calls: usage and prices as OpenAI's
WIRE_NAME = "chatgpt"
request_meta = openai.request_meta
ratelimit_headers = openai.ratelimit_headers
error_body = openai.error_body
_WINDOWS = (("primary_window", "primary"), ("secondary_window", "secondary"))


def usage_quota(data):
    """The x-codex-* values a wham/usage answer stands for ({} when it is not one)."""
    limits = data.get("rate_limit") if isinstance(data, dict) else None
    if not isinstance(limits, dict):
        return {}
    found = {}
    for field, name in _WINDOWS:
        window = limits.get(field)
        if not isinstance(window, dict) or not isinstance(window.get("used_percent"), (int, float)):
            continue
        prefix = f"x-codex-{name}-"
        found[prefix + "used-percent"] = str(window["used_percent"])
        seconds = as_int(window.get("limit_window_seconds"))
        if seconds:
            found[prefix + "window-minutes"] = str(seconds // 60)
        if as_int(window.get("reset_at")):
            found[prefix + "reset-at"] = str(window["reset_at"])
        elif as_int(window.get("reset_after_seconds")):
            found[prefix + "reset-after-seconds"] = str(window["reset_after_seconds"])
    if found and isinstance(data.get("plan_type"), str):
        found["x-codex-plan-type"] = data["plan_type"]
    return found


class ResponseReader(openai.ResponseReader):
    def __init__(self, content_type, keep_content=False):
        super().__init__(content_type, keep_content)
        self._responses_stream = False

    def on_event(self, event):
        if not self._responses_stream:
            # A cheap look before the JSON parse the Responses reader does anyway.
            self._responses_stream = (event.event or "").startswith("response.") or '"response.' in event.data[:200]
        super().on_event(event)

    def on_document(self, data):
        self.quota.update(usage_quota(data))
        super().on_document(data)

    def finish(self):
        super().finish()
        if self.is_sse and not self._responses_stream:
            self.completed = True
