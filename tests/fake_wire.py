"""The OpenAI and Gemini answers of tests/fake_upstream.py (one fake server; this module only
builds bodies), in the wire format the real APIs and ../shared/REAL-CLIENTS.md §2 show:

OpenAI Responses: SSE `event:` + `data:` with response.created, .in_progress, output_item.added,
content_part.added, output_text.delta x n, output_text.done, content_part.done, output_item.done,
response.completed (usage: input 1234 of which cached 1000, output 7 of which reasoning 2); every
event carries sequence_number. A function_call item (exec_command / shell / shell_command,
whichever the request offers) when the last user text asks for `hello-from-tool` and no
function_call_output came back yet. Chat Completions: chunks + `data: [DONE]`, usage in a last
chunk only with stream_options.include_usage. Gemini: `data: {...}\\r\\n\\r\\n` chunks whose
usageMetadata are running totals (final: prompt 1500 of which cached 1000, candidates 7,
thoughts 5); a functionCall part run_shell_command on the same trigger; JSON for generateContent
and a schema-shaped JSON text when responseMimeType is application/json (Gemini CLI's router).
"""
import json
import time
import uuid

TEXT = "Hi from the fake upstream!"
TOOL_TRIGGER = "hello-from-tool"
SHELL_COMMAND = "echo hello-from-tool"

OPENAI_USAGE = {"input_tokens": 1234, "input_tokens_details": {"cached_tokens": 1000}, "output_tokens": 7,
                "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 1241}
CHAT_USAGE = {"prompt_tokens": 1234, "prompt_tokens_details": {"cached_tokens": 1000}, "completion_tokens": 7,
              "completion_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 1241}
# What relay must record for either OpenAI usage: input without the cached part.
OPENAI_ROW = {"input_tokens": 234, "cache_read_input_tokens": 1000, "output_tokens": 7, "reasoning_tokens": 2}
GEMINI_USAGE = {"promptTokenCount": 1500, "cachedContentTokenCount": 1000, "candidatesTokenCount": 7,
                "thoughtsTokenCount": 5, "totalTokenCount": 1512}
GEMINI_ROW = {"input_tokens": 500, "cache_read_input_tokens": 1000, "output_tokens": 12, "reasoning_tokens": 5}

CODEX_HEADERS = {
    "x-codex-primary-used-percent": "12.5", "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-after-seconds": "3600",
    "x-codex-secondary-used-percent": "40", "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-after-seconds": "86400",
    "x-ratelimit-limit-requests": "5000", "x-ratelimit-remaining-requests": "4999",
    "x-ratelimit-limit-tokens": "2000000", "x-ratelimit-remaining-tokens": "1998766",
}
GEMINI_HEADERS = {"x-gemini-service-tier": "standard"}


def _dump(data):
    return json.dumps(data, separators=(",", ":"))


# --- OpenAI ---------------------------------------------------------------------------------

def _input_texts(body):
    """The text of every user input item of a Responses request, last one last."""
    texts = []
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            parts = content if isinstance(content, list) else [{"text": content}]
            texts.extend(p.get("text") or "" for p in parts if isinstance(p, dict))
    if isinstance(body.get("input"), str):
        texts.append(body["input"])
    return texts


def openai_tool(body):
    """The shell tool to call, or None: only when asked for, offered, and not yet answered."""
    items = body.get("input") if isinstance(body.get("input"), list) else []
    if any(isinstance(i, dict) and i.get("type") == "function_call_output" for i in items):
        return None
    texts = _input_texts(body)
    if not texts or TOOL_TRIGGER not in texts[-1]:
        return None
    names = {t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)}
    for name, argument in (("exec_command", "cmd"), ("shell_command", "command"), ("shell", "command")):
        if name in names:
            args = {argument: [ "bash", "-lc", SHELL_COMMAND] if name == "shell" else SHELL_COMMAND}
            return name, _dump(args)
    return None


def _response(body, status, output, usage=None):
    return {"id": "resp_fake_" + uuid.uuid4().hex[:16], "object": "response", "created_at": int(time.time()),
            "status": status, "model": body.get("model") or "gpt-5-codex", "output": output,
            "usage": (usage or OPENAI_USAGE) if status == "completed" else None, "error": None,
            "incomplete_details": None}


def _output_item(body):
    tool = openai_tool(body)
    if tool:
        return {"id": "fc_fake_" + uuid.uuid4().hex[:12], "type": "function_call", "status": "completed",
                "name": tool[0], "arguments": tool[1], "call_id": "call_fake_" + uuid.uuid4().hex[:12]}
    return {"id": "msg_fake_" + uuid.uuid4().hex[:12], "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": TEXT, "annotations": []}]}


def responses_json(body, usage=None):
    return _response(body, "completed", [_output_item(body)], usage)


def responses_events(body, usage=None):
    """The SSE events of one Responses stream, as bytes, in order."""
    item = _output_item(body)
    final = _response(body, "completed", [item], usage)
    seq = iter(range(1000))

    def event(kind, **data):
        return f"event: {kind}\ndata: {_dump({'type': kind, 'sequence_number': next(seq), **data})}\n\n".encode()

    started = dict(final, status="in_progress", output=[], usage=None)
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    if item["type"] == "function_call":
        yield event("response.output_item.added", output_index=0, item=dict(item, arguments="", status="in_progress"))
        for i in range(0, len(item["arguments"]), 10):
            yield event("response.function_call_arguments.delta", item_id=item["id"], output_index=0,
                        delta=item["arguments"][i:i + 10])
        yield event("response.function_call_arguments.done", item_id=item["id"], output_index=0,
                    arguments=item["arguments"])
    else:
        yield event("response.output_item.added", output_index=0, item=dict(item, content=[], status="in_progress"))
        part = {"type": "output_text", "text": "", "annotations": []}
        yield event("response.content_part.added", item_id=item["id"], output_index=0, content_index=0, part=part)
        for i in range(0, len(TEXT), 6):
            yield event("response.output_text.delta", item_id=item["id"], output_index=0, content_index=0,
                        delta=TEXT[i:i + 6])
        yield event("response.output_text.done", item_id=item["id"], output_index=0, content_index=0, text=TEXT)
        yield event("response.content_part.done", item_id=item["id"], output_index=0, content_index=0,
                    part=dict(part, text=TEXT))
    yield event("response.output_item.done", output_index=0, item=item)
    yield event("response.completed", response=final)


def chat_json(body):
    return {"id": "chatcmpl-fake" + uuid.uuid4().hex[:12], "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model") or "gpt-4.1",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": TEXT}, "finish_reason": "stop"}],
            "usage": CHAT_USAGE}


def chat_events(body):
    base = {"id": "chatcmpl-fake" + uuid.uuid4().hex[:12], "object": "chat.completion.chunk",
            "created": int(time.time()), "model": body.get("model") or "gpt-4.1"}
    include_usage = (body.get("stream_options") or {}).get("include_usage") is True
    extra = {"usage": None} if include_usage else {}

    def chunk(delta, finish=None):
        payload = _dump(dict(base, choices=[{'index': 0, 'delta': delta, 'finish_reason': finish}], **extra))
        return f"data: {payload}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    for i in range(0, len(TEXT), 6):
        yield chunk({"content": TEXT[i:i + 6]})
    yield chunk({}, "stop")
    if include_usage:
        yield f"data: {_dump(dict(base, choices=[], usage=CHAT_USAGE))}\n\n".encode()
    yield b"data: [DONE]\n\n"


def openai_models():
    return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                                       for m in ("gpt-5-codex", "gpt-4.1")]}


def openai_error(status):
    kind = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
    return {"error": {"message": f"fake {status}", "type": kind, "param": None, "code": kind}}


# --- Gemini ---------------------------------------------------------------------------------

def _schema_value(schema):
    kind = str((schema or {}).get("type", "STRING")).upper()
    if kind == "OBJECT":
        return {k: _schema_value(v) for k, v in (schema.get("properties") or {}).items()}
    if kind == "ARRAY":
        return [_schema_value(schema.get("items") or {})]
    return {"INTEGER": 10, "NUMBER": 1.0, "BOOLEAN": False}.get(kind, "simple")


def gemini_tool(body):
    contents = body.get("contents") or []
    parts = [p for c in contents if isinstance(c, dict) for p in c.get("parts") or [] if isinstance(p, dict)]
    if any("functionResponse" in p for p in parts):
        return None
    users = [c for c in contents if isinstance(c, dict) and c.get("role") == "user"]
    last = " ".join(p.get("text") or "" for p in (users[-1].get("parts") or []) if isinstance(p, dict)) if users else ""
    names = {d.get("name") for t in body.get("tools") or [] if isinstance(t, dict)
             for d in t.get("functionDeclarations") or [] if isinstance(d, dict)}
    return "run_shell_command" if TOOL_TRIGGER in last and "run_shell_command" in names else None


def _gemini_parts(body):
    config = body.get("generationConfig") or {}
    if config.get("responseMimeType") == "application/json":
        return [{"text": _dump(_schema_value(config.get("responseJsonSchema") or config.get("responseSchema")))}]
    tool = gemini_tool(body)
    if tool:
        return [{"functionCall": {"name": tool, "args": {"command": SHELL_COMMAND}},
                 "thoughtSignature": "skip_thought_signature_validator"}]
    return [{"text": TEXT}]


def gemini_json(body, model, usage=None):
    return {"candidates": [{"content": {"role": "model", "parts": _gemini_parts(body)}, "finishReason": "STOP",
                            "index": 0}],
            "usageMetadata": usage or GEMINI_USAGE, "modelVersion": model,
            "responseId": "fake-" + uuid.uuid4().hex[:12]}


def gemini_events(body, model, usage=None):
    """The SSE chunks of a streamGenerateContent?alt=sse answer; usage as running totals."""
    final_usage = usage or GEMINI_USAGE
    response_id = "fake-" + uuid.uuid4().hex[:12]
    parts = _gemini_parts(body)
    pieces = [[{"text": parts[0]["text"][i:i + 10]}] for i in range(0, len(parts[0]["text"]), 10)] \
        if "text" in parts[0] else [parts]
    for n, piece in enumerate(pieces):
        last = n == len(pieces) - 1
        usage = dict(final_usage) if last else dict(final_usage, candidatesTokenCount=n + 1,
                                                     totalTokenCount=final_usage["promptTokenCount"] + n + 1)
        candidate = {"content": {"role": "model", "parts": piece}, "index": 0}
        if last:
            candidate["finishReason"] = "STOP"
        payload = _dump({'candidates': [candidate], 'usageMetadata': usage, 'modelVersion': model,
                         'responseId': response_id})
        yield f"data: {payload}\r\n\r\n".encode()


def gemini_error(status):
    name = {429: "RESOURCE_EXHAUSTED", 400: "INVALID_ARGUMENT"}.get(status, "INTERNAL")
    return {"error": {"code": status, "message": f"fake {status}", "status": name}}


# --- ChatGPT backend (Codex with a ChatGPT login) ----------------------------------------------
# The plan's windows as /backend-api/wham/usage reports them: percent used, window length in
# seconds, reset as epoch seconds.
WHAM_RESET = 1795400000
WHAM_USAGE = {"plan_type": "pro", "rate_limit": {
    "allowed": True, "limit_reached": False,
    "primary_window": {"used_percent": 21, "limit_window_seconds": 18000, "reset_after_seconds": 4000,
                       "reset_at": WHAM_RESET},
    "secondary_window": {"used_percent": 55, "limit_window_seconds": 604800, "reset_after_seconds": 90000,
                         "reset_at": WHAM_RESET + 86400}},
    "credits": {"has_credits": False, "unlimited": False, "balance": "0"}}


def chatgpt_answer(method, path):
    """The JSON answer to a non-model ChatGPT backend call (status, body)."""
    target = path.split("?")[0]
    if target == "/backend-api/wham/usage":
        return 200, WHAM_USAGE
    if target == "/backend-api/codex/models":
        return 200, {"models": []}
    return 200, {}


# --- Gemini Code Assist (Gemini CLI with a Google login) -----------------------------------------
CODE_ASSIST_PROJECT = "fake-project"
QUOTA_RESET = "2026-12-07T00:00:00Z"
QUOTA_BUCKETS = [{"modelId": "gemini-2.5-pro", "tokenType": "REQUESTS", "remainingFraction": 0.75,
                  "remainingAmount": "75", "resetTime": QUOTA_RESET},
                 {"modelId": "gemini-2.5-flash", "tokenType": "REQUESTS", "remainingFraction": 0.5,
                  "resetTime": QUOTA_RESET}]


def code_assist_answer(method, body):
    """The answer to a /v1internal:<method> call that is not a model call (status, body)."""
    tier = {"id": "standard-tier", "name": "Gemini Code Assist", "userDefinedCloudaicompanionProject": True}
    if method == "loadCodeAssist":
        return 200, {"currentTier": tier, "allowedTiers": [dict(tier, isDefault=True)],
                     "cloudaicompanionProject": CODE_ASSIST_PROJECT}
    if method == "onboardUser":
        return 200, {"done": True, "response": {"cloudaicompanionProject": {"id": CODE_ASSIST_PROJECT}}}
    if method == "retrieveUserQuota":
        return 200, {"buckets": QUOTA_BUCKETS}
    if method == "listExperiments":
        return 200, {"experimentIds": [], "flags": []}
    if method == "countTokens":
        return 200, {"totalTokens": 42}
    return 200, {}


def code_assist_json(body, usage=None):
    request = body.get("request") if isinstance(body.get("request"), dict) else {}
    return {"response": gemini_json(request, body.get("model") or "gemini-2.5-pro", usage),
            "traceId": "trace-" + uuid.uuid4().hex[:12]}


def code_assist_events(body, usage=None):
    """streamGenerateContent?alt=sse: each Gemini chunk wrapped as {"response": ..., "traceId": ...}."""
    request = body.get("request") if isinstance(body.get("request"), dict) else {}
    trace = "trace-" + uuid.uuid4().hex[:12]
    for event in gemini_events(request, body.get("model") or "gemini-2.5-pro", usage):
        chunk = json.loads(event[len(b"data: "):].strip())
        yield f"data: {_dump({'response': chunk, 'traceId': trace})}\r\n\r\n".encode()
