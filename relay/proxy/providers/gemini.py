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
count, not a model call: its row has no usage. With `keep_content` (history capture) the reader
keeps the first candidate's parts of every chunk; `assemble_content` joins the streamed text.
"""
import hashlib
import json
import re

from relay.models import Usage
from relay.proxy.providers.common import BodyReader, as_int, json_object, pick_headers

PROVIDER = "gemini"
RATELIMIT_PREFIXES = ("x-ratelimit-",)
RATELIMIT_NAMES = ("retry-after",)
SESSION_HEADERS = ("x-gemini-session-id", "x-session-id")
CONTEXT_PREFIX = "<session_context>"
_DATE = "Today's date is "
_LISTING = "- **Directory Structure:**"
_MODEL_PATH = re.compile(r"/models/([^/:?]+):([A-Za-z]+)")


def path_model(path):
    """(model, method) from a Gemini path, e.g. ("gemini-2.5-pro", "streamGenerateContent")."""
    match = _MODEL_PATH.search(path or "")
    return (match.group(1), match.group(2)) if match else (None, None)


def conversation_id(data, user_agent):
    """A stable id for the conversation a Gemini API body belongs to, or None.

    Gemini CLI sends no session id with an API key (0.61.0: no header, no prompt id in the body,
    unlike Code Assist), but every request of a conversation starts with the same contents: the
    CLI's `<session_context>` (date, OS, directory) and then the first prompt typed. The id is
    `gemini-` and a hash of the client (the user agent's product, e.g. `GeminiCLI-tui`, without
    the model it names) and the user texts up to and including the first that is not the
    session context; the model router's call for the first prompt carries the same start, so it
    lands in the same session. A history rewritten from its start (Gemini's chat compression)
    starts a new id. The session context is hashed without what a resumed run rewrites in it
    (_stable_context): the date, the directory listing and the loaded context (GEMINI.md files,
    an MCP server's instructions), so `--resume` on another day, after new files or with an MCP
    server added stays in the session."""
    contents = data.get("contents")
    texts: list[str] = []
    for content in contents if isinstance(contents, list) else ():
        if not isinstance(content, dict) or content.get("role", "user") != "user":
            continue
        parts = content.get("parts")
        for part in parts if isinstance(parts, list) else ():
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(_stable_context(part["text"]))
        if texts and not texts[-1].lstrip().startswith(CONTEXT_PREFIX):
            break
    if not texts:
        return None
    client = (user_agent or "").split("/", 1)[0].strip()
    digest = hashlib.sha256(json.dumps([client, texts], ensure_ascii=False).encode("utf-8")).hexdigest()
    return "gemini-" + digest[:24]


def _stable_context(text):
    """The lines of a `<session_context>` text above its directory listing, without the date:
    the OS, the temporary and workspace directories. Any other text as it is."""
    if not text.lstrip().startswith(CONTEXT_PREFIX):
        return text
    kept = []
    for line in text.splitlines():
        if line.startswith(_LISTING) or line.startswith("<loaded_context>"):
            break
        if not line.startswith(_DATE):
            kept.append(line)
    return "\n".join(kept)


def request_meta(body, headers, path=None):
    """(model, stream, session_id): model and stream from the path; the session id from a header
    where a client sends one, else derived from the body (conversation_id)."""
    model, method = path_model(path)
    session_id = next((headers[name] for name in SESSION_HEADERS if headers.get(name)), None)
    if session_id is None and method in ("generateContent", "streamGenerateContent", "countTokens"):
        data = json_object(body)
        session_id = conversation_id(data, headers.get("user-agent")) if data is not None else None
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
        candidates = data.get("candidates") or ()
        if self.content_parts is not None and candidates and isinstance(candidates[0], dict):
            content = candidates[0].get("content")
            parts = content.get("parts") if isinstance(content, dict) else None
            if isinstance(parts, list):
                self.content_parts.extend(p for p in parts if isinstance(p, dict))
        for candidate in candidates:
            if isinstance(candidate, dict) and candidate.get("finishReason"):
                self.stop_reason = candidate["finishReason"]
                self.completed = True
        usage = usage_from(data.get("usageMetadata"))
        if usage is not None:
            self.usage = usage


def assemble_content(parts):
    """The parts of a Gemini answer from ResponseReader.content_parts: consecutive text parts of
    the same kind (thought or not) joined, as a stream cuts one text into many chunks."""
    out: list[dict] = []
    for part in parts or ():
        text = part.get("text")
        last = out[-1] if out else None
        if isinstance(text, str) and last is not None and isinstance(last.get("text"), str) \
                and last.get("thought") is part.get("thought"):
            out[-1] = {**last, **part, "text": last["text"] + text}   # a signature comes with the last piece
        else:
            out.append(dict(part))
    return out
