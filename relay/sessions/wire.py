"""Request bodies of the three wire APIs read as one model: the Anthropic Messages shape. Pure.

History capture, the composition on the wire, the turn pages and the live cards were written for
Messages bodies ({"system", "tools", "messages": [{"role", "content": [blocks]}]}). Codex sends
OpenAI Responses bodies and Gemini CLI Gemini bodies (wrapped by Code Assist), so each of their
items is mapped onto one Messages-shaped message, one for one (a stored turn's message hashes
and its messages stay parallel):

  format       messages            system prompt               tools
  anthropic    messages            system                      tools
  responses    input               instructions                tools
  gemini       contents            systemInstruction           tools (functionDeclarations)
  code_assist  request.contents    request.systemInstruction   request.tools

Responses items: a `message` keeps its role (user, assistant, developer, system) with its
input_text / output_text / refusal as text blocks and input_image as an image; `function_call`,
`custom_tool_call` and `local_shell_call` become an assistant tool_use (id = call_id, input = the
parsed arguments, or the raw string when they do not parse); `*_call_output` a user tool_result;
`reasoning` an assistant thinking block of its summary and content text (encrypted content
counts 0, like redacted thinking). Gemini parts: text (a `thought` part is thinking),
functionCall -> tool_use, functionResponse -> tool_result (its `output`, else the response as
JSON), inlineData / fileData -> image or document placeholders. Role `model` is assistant.
Anything else is kept as a block of its own type (0 characters in the composition).
"""
import json

ANTHROPIC, RESPONSES, GEMINI, CODE_ASSIST = "anthropic", "responses", "gemini", "code_assist"
# The array of messages, the system prompt and the tools of each format, as history_format's
# flat keys (a nested key is dotted).
MESSAGES = {ANTHROPIC: ("messages",), RESPONSES: ("input",), GEMINI: ("contents",),
            CODE_ASSIST: ("request", "contents")}
SYSTEM = {ANTHROPIC: "system", RESPONSES: "instructions", GEMINI: "systemInstruction",
          CODE_ASSIST: "request.systemInstruction"}
TOOLS = {ANTHROPIC: "tools", RESPONSES: "tools", GEMINI: "tools", CODE_ASSIST: "request.tools"}
_TEXT_TYPES = ("input_text", "output_text", "text", "refusal", "summary_text", "reasoning_text")
_CALLS = ("function_call", "custom_tool_call", "local_shell_call")
_OUTPUTS = ("function_call_output", "custom_tool_call_output", "local_shell_call_output")


def format_of(data):
    """The wire format of a parsed request body, by its shape; None when it is none of them."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("messages"), list):
        return ANTHROPIC
    if isinstance(data.get("contents"), list):
        return GEMINI
    if isinstance(data.get("request"), dict) and isinstance(data["request"].get("contents"), list):
        return CODE_ASSIST
    if isinstance(data.get("input"), list):
        return RESPONSES
    return None


def field(data, dotted):
    """A flat key of `MESSAGES`, `SYSTEM` or `TOOLS` read from a parsed body."""
    for key in dotted.split("."):
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _text(text):
    return {"type": "text", "text": text if isinstance(text, str) else ""}


def _arguments(raw):
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _responses_content(content):
    if isinstance(content, str):
        return [_text(content)]
    blocks = []
    for part in content if isinstance(content, list) else []:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in _TEXT_TYPES:
            blocks.append(_text(part.get("text", part.get("refusal"))))
        elif kind == "input_image":
            url = part.get("image_url") if isinstance(part.get("image_url"), str) else ""
            blocks.append({"type": "image", "source": {"type": "url" if not url.startswith("data:") else "base64",
                                                       "data": url}})
        elif kind == "input_file":
            blocks.append({"type": "document", "source": {"type": "file", "data": part.get("file_data") or ""}})
        elif isinstance(part, dict):
            blocks.append(dict(part))
    return blocks


def _output_text(output):
    if isinstance(output, str):
        return output
    if isinstance(output, list):    # content items, as a message's
        return [b for b in _responses_content(output)]
    return json.dumps(output, ensure_ascii=False)


def responses_message(item):
    """One Responses input or output item as a Messages-shaped message."""
    if not isinstance(item, dict):
        return {"role": "user", "content": []}
    kind = item.get("type", "message")
    if kind == "message":
        return {"role": item.get("role") or "user", "content": _responses_content(item.get("content"))}
    if kind in _CALLS:
        name = item.get("name") or ("local_shell" if kind == "local_shell_call" else "")
        value = item.get("arguments", item.get("input", item.get("action")))
        return {"role": "assistant", "content": [{"type": "tool_use", "id": item.get("call_id") or item.get("id"),
                                                  "name": name, "input": _arguments(value)}]}
    if kind in _OUTPUTS:
        return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": item.get("call_id"),
                                             "content": _output_text(item.get("output"))}]}
    if kind == "reasoning":
        texts = [p.get("text") for key in ("summary", "content") for p in item.get(key) or []
                 if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return {"role": "assistant", "content": [{"type": "thinking", "thinking": "\n".join(texts)}]}
    return {"role": "assistant" if kind.endswith("_call") else "system", "content": [dict(item)]}


def _function_response(part):
    response = part.get("response")
    if isinstance(response, dict) and isinstance(response.get("output"), str) and len(response) == 1:
        return response["output"]
    return json.dumps(response, ensure_ascii=False)


def gemini_blocks(parts):
    """Gemini parts as Messages content blocks."""
    blocks = []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("text"), str):
            blocks.append({"type": "thinking", "thinking": part["text"]} if part.get("thought") is True
                          else _text(part["text"]))
        elif isinstance(part.get("functionCall"), dict):
            call = part["functionCall"]
            blocks.append({"type": "tool_use", "id": call.get("id") or call.get("name"), "name": call.get("name"),
                           "input": call.get("args")})
        elif isinstance(part.get("functionResponse"), dict):
            response = part["functionResponse"]
            blocks.append({"type": "tool_result", "tool_use_id": response.get("id") or response.get("name"),
                           "content": _function_response(response)})
        elif isinstance(part.get("inlineData"), dict) or isinstance(part.get("fileData"), dict):
            data = part.get("inlineData") or part.get("fileData")
            mime = data.get("mimeType") or ""
            blocks.append({"type": "image" if mime.startswith("image/") else "document",
                           "source": {"type": "base64" if "inlineData" in part else "url", "media_type": mime,
                                      "data": data.get("data") or data.get("fileUri") or ""}})
        else:
            blocks.append({"type": next(iter(part), "other"), **part})
    return blocks


def gemini_message(content):
    if not isinstance(content, dict):
        return {"role": "user", "content": []}
    role = content.get("role")
    return {"role": "assistant" if role == "model" else role or "user", "content": gemini_blocks(content.get("parts"))}


def message(fmt, item):
    """One item of a body's messages array (see MESSAGES) as a Messages-shaped message."""
    if fmt == RESPONSES:
        return responses_message(item)
    if fmt in (GEMINI, CODE_ASSIST):
        return gemini_message(item)
    return item


def system(fmt, value):
    """The system prompt as Messages' `system` (a string or a list of text blocks)."""
    if fmt in (GEMINI, CODE_ASSIST):
        if isinstance(value, str):
            return value
        parts = value.get("parts") if isinstance(value, dict) else value
        return [b for b in gemini_blocks(parts) if b.get("type") == "text"]
    return value


def tools(fmt, value):
    """The tools offered, one dict with a `name` per tool (Gemini's declarations unpacked)."""
    if not isinstance(value, list):
        return []
    if fmt not in (GEMINI, CODE_ASSIST):
        return value
    out = []
    for group in value:
        if not isinstance(group, dict):
            continue
        declarations = group.get("functionDeclarations")
        if isinstance(declarations, list):
            out.extend(d for d in declarations if isinstance(d, dict))
        else:
            out.extend({"name": key, **(v if isinstance(v, dict) else {})} for key, v in group.items())
    return out


def as_messages(fmt, system_value, tools_value, items):
    """{"system", "tools", "messages"} in the Messages shape from a body's parsed system prompt,
    tools and items. Codex on the ChatGPT backend offers its tools in an `additional_tools` input
    item rather than in `tools`: they are tools too."""
    offered = tools(fmt, tools_value)
    if fmt == RESPONSES:
        for item in items:
            if isinstance(item, dict) and item.get("type") == "additional_tools":
                offered = offered + [t for t in item.get("tools") or [] if isinstance(t, dict)]
    return {"system": system(fmt, system_value), "tools": offered, "messages": [message(fmt, i) for i in items]}


def request_view(data, fmt=None):
    """A parsed request body of any format as {"format", "model", "system", "tools", "messages"} in
    the Messages shape; None when it is none of the formats."""
    fmt = fmt or format_of(data)
    if fmt is None:
        return None
    items = field(data, ".".join(MESSAGES[fmt])) or []
    return {"format": fmt, "model": data.get("model") if isinstance(data.get("model"), str) else None,
            **as_messages(fmt, field(data, SYSTEM[fmt]), field(data, TOOLS[fmt]), items)}


def response_blocks(fmt, content):
    """A reassembled response's content as Messages blocks: Responses output items, or Gemini
    parts (providers.openai / providers.gemini `assemble_content`)."""
    if fmt == RESPONSES:
        return [b for item in content or [] for b in responses_message(item)["content"]]
    if fmt in (GEMINI, CODE_ASSIST):
        return gemini_blocks(content)
    return content
