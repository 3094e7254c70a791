"""OpenAI Responses and Chat Completions APIs (Codex CLI, the openai SDK): what relay reads from
requests and responses. Pure, no I/O; the same interface as providers.anthropic.

Usage is normalised into relay's Usage, where input_tokens EXCLUDES cache reads (as Anthropic
reports it): OpenAI's input_tokens / prompt_tokens INCLUDE the cached tokens, so the cached part
is moved to cache_read_input_tokens and taken out of input, and is priced once, at the cached
rate. output_tokens includes the reasoning tokens (OpenAI bills them as output);
reasoning_tokens repeats them for display only.

With `keep_content` (history capture) the reader keeps the response's output items (each
`response.output_item.done`, else the final response's `output`); `assemble_content` returns
them in order.

Responses streams carry usage once, in the final `response.completed` (or `.incomplete`,
`.failed`) event; Chat Completions streams carry it in the last chunk when the request asked
for `stream_options.include_usage`, and end with `data: [DONE]`.
"""
import json

from relay.models import Usage
from relay.proxy.providers.common import BodyReader, as_int, json_object, pick_headers

PROVIDER = "openai"
# Codex's plan windows (x-codex-primary-*, -secondary-*, credits) and the API's x-ratelimit-*.
RATELIMIT_PREFIXES = ("x-codex-", "x-ratelimit-")
RATELIMIT_NAMES = ("retry-after",)
SESSION_HEADERS = ("session-id", "conversation_id", "session_id", "thread-id")
TURN_METADATA = "x-codex-turn-metadata"
_FINAL_RESPONSE_EVENTS = ("response.completed", "response.incomplete", "response.failed")


def _session_id(headers):
    for name in SESSION_HEADERS:
        if headers.get(name):
            return headers[name]
    metadata = json_object(headers.get(TURN_METADATA))
    value = metadata.get("session_id") or metadata.get("thread_id") if metadata else None
    return value if isinstance(value, str) and value else None


def request_meta(body, headers, path=None):
    """(model, stream, session_id) from a request; body may be anything, even invalid JSON."""
    data = json_object(body)
    session_id = _session_id(headers)
    if data is None:
        return None, False, session_id
    model = data.get("model") if isinstance(data.get("model"), str) else None
    return model, data.get("stream") is True, session_id


def ratelimit_headers(headers):
    return pick_headers(headers, RATELIMIT_PREFIXES, RATELIMIT_NAMES)


def error_body(message, kind="api_error"):
    """An error as OpenAI shapes it; the SDK and Codex read error.message."""
    return json.dumps({"error": {"message": f"relay: {message}", "type": kind, "param": None,
                                 "code": None}}).encode()


def usage_from(raw):
    """relay's Usage from a Responses usage object or a Chat Completions one; None if absent."""
    if not isinstance(raw, dict):
        return None
    if "input_tokens" in raw or "output_tokens" in raw:            # Responses API
        total_in, out = as_int(raw.get("input_tokens")), as_int(raw.get("output_tokens"))
        cached = as_int((raw.get("input_tokens_details") or {}).get("cached_tokens"))
        reasoning = as_int((raw.get("output_tokens_details") or {}).get("reasoning_tokens"))
    else:                                                            # Chat Completions
        total_in, out = as_int(raw.get("prompt_tokens")), as_int(raw.get("completion_tokens"))
        cached = as_int((raw.get("prompt_tokens_details") or {}).get("cached_tokens"))
        reasoning = as_int((raw.get("completion_tokens_details") or {}).get("reasoning_tokens"))
    return Usage(input_tokens=max(total_in - cached, 0), output_tokens=out, cache_read_input_tokens=cached,
                 reasoning_tokens=reasoning)


class ResponseReader(BodyReader):
    """Reads usage and outcome from a Responses or Chat Completions body fed in pieces."""

    def on_event(self, event):
        if event.data == "[DONE]":                     # Chat Completions' end of stream
            self.completed = True
            return
        data = json_object(event.data)
        if data is None:
            return
        kind = data.get("type") or event.event
        if kind == "response.output_item.done":
            if self.content_parts is not None and isinstance(data.get("item"), dict):
                self.content_parts.append(data["item"])
        elif kind in _FINAL_RESPONSE_EVENTS:
            self.completed = True
            self._on_response(data.get("response"))
            self._keep_output(data.get("response"))
        elif kind == "response.created":
            self._on_response(data.get("response"))
        elif kind == "error":
            self.error = data.get("message") or (data.get("error") or {}).get("message") or "error event"
        elif data.get("object") == "chat.completion.chunk":
            self._on_chat(data)

    def on_document(self, data):
        if not isinstance(data, dict):
            return
        if isinstance(data.get("error"), dict):
            self.error = data["error"].get("message") or "error"
        elif data.get("object") == "response":
            self._on_response(data)
            self._keep_output(data)
        elif data.get("object") == "chat.completion":
            self._on_chat(data)

    def _on_response(self, response):
        if not isinstance(response, dict):
            return
        self.message_id = response.get("id") or self.message_id
        self.model = response.get("model") or self.model
        status = response.get("status")
        if status and status not in ("in_progress", "queued"):
            reason = (response.get("incomplete_details") or {}).get("reason")
            self.stop_reason = f"{status}:{reason}" if reason else status
        if isinstance(response.get("error"), dict):
            self.error = response["error"].get("message") or "response failed"
        usage = usage_from(response.get("usage"))
        if usage is not None:
            self.usage = usage

    def _keep_output(self, response):
        """A whole response's output items, when no output_item.done event brought them."""
        if self.content_parts == [] and isinstance(response, dict) and isinstance(response.get("output"), list):
            self.content_parts.extend(item for item in response["output"] if isinstance(item, dict))

    def _on_chat(self, data):
        self.message_id = data.get("id") or self.message_id
        self.model = data.get("model") or self.model
        for choice in data.get("choices") or ():
            if isinstance(choice, dict) and choice.get("finish_reason"):
                self.stop_reason = choice["finish_reason"]
        usage = usage_from(data.get("usage"))
        if usage is not None:
            self.usage = usage


def assemble_content(parts):
    """The output items of a Responses answer from ResponseReader.content_parts."""
    return [item for item in parts or () if isinstance(item, dict)]
