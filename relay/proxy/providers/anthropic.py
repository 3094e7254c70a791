"""Anthropic Messages API: what relay reads from requests and responses. Pure, no I/O.

`request_meta` reads model, stream flag and session id from a request; `ResponseReader` is fed
the response body (decoded copy) chunk by chunk and keeps usage, stop reason and message id.
With keep_content it also keeps the content events it already decoded (a list append per event,
no string work), and `assemble_content(parts)` rebuilds the message's content blocks from them
later, off the streaming path (history capture does it in the store's writer thread).
Usage arrives in `message_start` (input and cache tokens, output so far) and `message_delta`
(cumulative: output, and on newer API versions input/cache again); the latest non-null value of
each field wins, so a stream is counted once, never summed per event.
"""
import json
import re

from relay.proxy.providers.common import BodyReader, json_object, pick_headers

PROVIDER = "anthropic"
RATELIMIT_PREFIXES = ("anthropic-ratelimit-",)
RATELIMIT_NAMES = ("retry-after", "x-should-retry")
SESSION_HEADER = "x-claude-code-session-id"
_LEGACY_SESSION = re.compile(r"session_([0-9a-fA-F-]{8,})")


def session_from_metadata(user_id):
    """Claude Code's metadata.user_id is a JSON string ({"session_id": ...}) since 2.1; older
    versions used `user_<hash>_account_<uuid>_session_<uuid>`."""
    if not isinstance(user_id, str) or not user_id:
        return None
    if user_id.startswith("{"):
        try:
            value = json.loads(user_id).get("session_id")
            return value or None
        except (ValueError, AttributeError):
            return None
    match = _LEGACY_SESSION.search(user_id)
    return match.group(1) if match else None


def request_meta(body, headers, path=None):
    """(model, stream, session_id) from a request; body may be anything, even invalid JSON.
    `path` (the stored request target) is part of the providers' common signature; unused here."""
    session_id = headers.get(SESSION_HEADER)
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return None, False, session_id
    model = data.get("model") if isinstance(data.get("model"), str) else None
    if not session_id:
        metadata = data.get("metadata")
        if isinstance(metadata, dict):
            session_id = session_from_metadata(metadata.get("user_id"))
    return model, data.get("stream") is True, session_id


def ratelimit_headers(headers):
    return pick_headers(headers, RATELIMIT_PREFIXES, RATELIMIT_NAMES)


def error_body(message, kind="api_error"):
    """An error in the provider's own shape, because clients parse it."""
    return json.dumps({"type": "error", "error": {"type": kind, "message": f"relay: {message}"}}).encode()


def _dict(value):
    """value when it is a JSON object, else {}: upstream (or whatever answers in its place) may
    send any shape, and reading usage must never fail on one."""
    return value if isinstance(value, dict) else {}


def _text(value):
    return value if isinstance(value, str) and value else None


def _number(value):
    # Numbers are taken as they came (a null or a string leaves the count as it was);
    # relay.models.validate_exchange clamps and flags a negative, fractional or huge one.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _apply_usage(usage, raw):
    if not isinstance(raw, dict):
        return
    for name in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        if _number(raw.get(name)):
            setattr(usage, name, raw[name])
    split = raw.get("cache_creation")
    if isinstance(split, dict):
        for key, attr in (("ephemeral_5m_input_tokens", "cache_creation_5m_input_tokens"),
                          ("ephemeral_1h_input_tokens", "cache_creation_1h_input_tokens")):
            if _number(split.get(key)):
                setattr(usage, attr, split[key])
    details = raw.get("output_tokens_details")
    if isinstance(details, dict) and _number(details.get("thinking_tokens")):
        usage.reasoning_tokens = details["thinking_tokens"]


class ResponseReader(BodyReader):
    """Reads usage and outcome from a response body fed in pieces (SSE or one JSON document);
    `content_parts` collects the decoded content_block_* events (SSE) or the whole content list
    (JSON) when asked for."""

    def on_document(self, data):
        self._on_message(data)

    def on_event(self, event):
        data = json_object(event.data)
        if data is None:
            return
        kind = data.get("type") or event.event
        if kind == "message_start":
            self._on_message(data.get("message"))
        elif kind == "message_delta":
            self.stop_reason = _text(_dict(data.get("delta")).get("stop_reason")) or self.stop_reason
            _apply_usage(self.usage, data.get("usage"))
        elif isinstance(kind, str) and kind.startswith("content_block_"):
            if self.content_parts is not None:
                self.content_parts.append(data)
        elif kind == "message_stop":
            self.completed = True
        elif kind == "error":
            self.error = _text(_dict(data.get("error")).get("message")) or "error event"

    def _on_message(self, message):
        if not isinstance(message, dict):
            return
        if message.get("type") == "error":
            self.error = _text(_dict(message.get("error")).get("message"))
            return
        self.message_id = _text(message.get("id")) or self.message_id
        self.model = _text(message.get("model")) or self.model
        self.stop_reason = _text(message.get("stop_reason")) or self.stop_reason
        if self.content_parts is not None and isinstance(message.get("content"), list) and message["content"]:
            self.content_parts.append({"type": "content", "content": message["content"]})
        _apply_usage(self.usage, message.get("usage"))


def assemble_content(parts):
    """The content blocks of a response from ResponseReader.content_parts: text and thinking
    deltas joined, a signature kept, a tool_use input parsed from its partial JSON (kept as the
    raw string under `input_json` when it does not parse, e.g. a cut stream)."""
    blocks: dict[int, dict] = {}
    partial: dict[int, list[str]] = {}
    for part in parts or ():
        kind = part.get("type")
        if kind == "content":           # a non-stream response: the blocks as they came
            return [b for b in part["content"] if isinstance(b, dict)]
        index = part.get("index")
        if not isinstance(index, int):
            continue
        if kind == "content_block_start" and isinstance(part.get("content_block"), dict):
            blocks[index] = dict(part["content_block"])
            if blocks[index].get("type") in ("tool_use", "server_tool_use"):
                partial[index] = []
        elif kind == "content_block_delta" and index in blocks:
            delta = part.get("delta") or {}
            block, dkind = blocks[index], delta.get("type")
            if dkind == "text_delta":
                block["text"] = block.get("text", "") + (delta.get("text") or "")
            elif dkind == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + (delta.get("thinking") or "")
            elif dkind == "signature_delta":
                block["signature"] = block.get("signature", "") + (delta.get("signature") or "")
            elif dkind == "input_json_delta" and index in partial:
                partial[index].append(delta.get("partial_json") or "")
    for index, pieces in partial.items():
        raw = "".join(pieces)
        if not raw:
            continue
        try:
            blocks[index]["input"] = json.loads(raw)
        except ValueError:
            blocks[index]["input_json"] = raw
    return [blocks[i] for i in sorted(blocks)]
