"""Gemini API (Gemini CLI, the google-genai SDK): what relay reads from requests and responses.
Pure, no I/O; the same interface as providers.anthropic.

The model and the stream flag are in the path (`/v1beta/models/<model>:streamGenerateContent`),
not in the body. Usage is normalised into relay's Usage, where input_tokens EXCLUDES cache
reads: Gemini's promptTokenCount INCLUDES cachedContentTokenCount, so the cached part moves to
cache_read_input_tokens (priced once, at the cached rate) and tool-use prompt tokens are input
too. candidatesTokenCount EXCLUDES the thoughts, which Google bills as output, so output_tokens
is candidates + thoughts and reasoning_tokens repeats the thoughts for display.

Every streamed chunk carries usageMetadata as running totals, so the latest one wins; the
stream is complete once a candidate reports a finishReason. `:countTokens` answers with a
count, not a model call: its row has no usage.
"""
import json
import re

from relay.models import Usage
from relay.proxy.providers.common import BodyReader, as_int, json_object, pick_headers

PROVIDER = "gemini"
RATELIMIT_PREFIXES = ("x-ratelimit-",)
RATELIMIT_NAMES = ("retry-after",)
SESSION_HEADERS = ("x-gemini-session-id", "x-session-id")
_MODEL_PATH = re.compile(r"/models/([^/:?]+):([A-Za-z]+)")


def path_model(path):
    """(model, method) from a Gemini path, e.g. ("gemini-2.5-pro", "streamGenerateContent")."""
    match = _MODEL_PATH.search(path or "")
    return (match.group(1), match.group(2)) if match else (None, None)


def request_meta(body, headers, path=None):
    """(model, stream, session_id): model and stream from the path. The Gemini CLI sends no
    session id on the wire (0.61.0); a header is read where a client does send one."""
    model, method = path_model(path)
    session_id = next((headers[name] for name in SESSION_HEADERS if headers.get(name)), None)
    return model, method == "streamGenerateContent", session_id


def ratelimit_headers(headers):
    return pick_headers(headers, RATELIMIT_PREFIXES, RATELIMIT_NAMES)


def error_body(message, status="UNAVAILABLE", code=502):
    """An error as Google shapes it; the genai SDK reads error.message and error.status."""
    return json.dumps({"error": {"code": code, "message": f"relay: {message}", "status": status}}).encode()


def usage_from(meta):
    """relay's Usage from a usageMetadata object, or None when there is none."""
    if not isinstance(meta, dict):
        return None
    cached, thoughts = as_int(meta.get("cachedContentTokenCount")), as_int(meta.get("thoughtsTokenCount"))
    prompt = as_int(meta.get("promptTokenCount")) + as_int(meta.get("toolUsePromptTokenCount"))
    return Usage(input_tokens=max(prompt - cached, 0),
                 output_tokens=as_int(meta.get("candidatesTokenCount")) + thoughts,
                 cache_read_input_tokens=cached, reasoning_tokens=thoughts)


class ResponseReader(BodyReader):
    """Reads usage and outcome from a generateContent / streamGenerateContent body (SSE with
    alt=sse, else one JSON object or, for a stream without alt=sse, a JSON array of chunks)."""

    def on_event(self, event):
        data = json_object(event.data)
        if data is not None:
            self._on_chunk(data)

    def on_document(self, data):
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                self._on_chunk(item)

    def _on_chunk(self, data):
        if isinstance(data.get("error"), dict):
            self.error = data["error"].get("message") or data["error"].get("status") or "error"
            return
        self.message_id = data.get("responseId") or self.message_id
        self.model = data.get("modelVersion") or self.model
        for candidate in data.get("candidates") or ():
            if isinstance(candidate, dict) and candidate.get("finishReason"):
                self.stop_reason = candidate["finishReason"]
                self.completed = True
        usage = usage_from(data.get("usageMetadata"))
        if usage is not None:
            self.usage = usage
