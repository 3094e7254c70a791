"""Small builders for Messages API bodies in the pruning tests (Claude Code's shapes)."""
import base64
import json
import struct

BILLING = "x-anthropic-billing-header: cc_version=2.1.330.440; cc_entrypoint=sdk-cli;"


def text(t, cc=None):
    block = {"type": "text", "text": t}
    if cc:
        block["cache_control"] = cc
    return block


def thinking(t, sig="c2lnbmF0dXJl"):
    return {"type": "thinking", "thinking": t, "signature": sig}


def tool_use(uid, name="Bash", **args):
    return {"type": "tool_use", "id": uid, "name": name, "input": args}


def tool_result(uid, content, is_error=False, cc=None):
    block = {"type": "tool_result", "tool_use_id": uid, "content": content, "is_error": is_error}
    if cc:
        block["cache_control"] = cc
    return block


def png(width=800, height=600, extra=3000):
    """Base64 of a PNG-shaped payload: a real signature and IHDR size, then filler."""
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", width, height)
    return base64.b64encode(head + bytes(extra)).decode()


def image(data=None, media="image/png"):
    data = data if data is not None else png()
    return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}


def _content(blocks):
    """One string stays a string (the plain form of content); anything else is a list of blocks."""
    return blocks[0] if len(blocks) == 1 and isinstance(blocks[0], str) else list(blocks)


def user(*blocks):
    return {"role": "user", "content": _content(blocks)}


def asst(*blocks):
    return {"role": "assistant", "content": _content(blocks)}


def system_entry(t):
    return {"role": "system", "content": t}


def read_pair(uid, path, content):
    """An assistant Read call and the user message carrying its result."""
    return [asst(tool_use(uid, "Read", file_path=path)), user(tool_result(uid, content))]


def bash_pair(uid, output, is_error=False, command="make"):
    return [asst(tool_use(uid, "Bash", command=command)), user(tool_result(uid, output, is_error))]


def body(messages, system=None, tools=None):
    return {"model": "claude-opus-5-5", "max_tokens": 1024, "stream": True,
            "system": system if system is not None else [text(BILLING), text("You are a Claude agent.")],
            "tools": tools or [], "messages": messages}


def raw(b):
    return json.dumps(b, separators=(",", ":"), ensure_ascii=False).encode()
