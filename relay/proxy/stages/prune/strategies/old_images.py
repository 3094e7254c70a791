"""Aggressive: base64 images in old turns.

Rule: a base64 image (a block of a user message, or inside a tool_result's content) in a message
before the last message the person wrote becomes a text block with a marker naming its media
type and size. Images of the current turn stay: the model is still working with them. A
cache_control breakpoint on the image moves to the marker, so the client's cache layout holds.
Thresholds: none; an image costs up to ~1,600 tokens whatever its byte size (edits.image_tokens).
"""
from relay.proxy.stages.prune.edits import Context, blocks_of, is_real_user, make_edit

NAME = "old_images"
TIER = "aggressive"


def _is_base64_image(block):
    return (isinstance(block, dict) and block.get("type") == "image" and isinstance(block.get("source"), dict)
            and block["source"].get("type") == "base64")


def _marker(block):
    source = block["source"]
    new = {"type": "text", "text": f"[relay {NAME}: removed a {source.get('media_type', 'image')} image "
                                  f"({len(source.get('data') or ''):,} chars of base64) from an old turn]"}
    if block.get("cache_control"):
        new["cache_control"] = block["cache_control"]
    return new


def plan(body, ctx=None):
    ctx = ctx or Context.of(body)
    msgs = ctx.messages
    current = max((i for i, m in enumerate(msgs) if is_real_user(m)), default=-1)
    edits = []
    for i in range(current if current > 0 else 0):
        if msgs[i].get("role") != "user":
            continue
        for j, b in enumerate(blocks_of(msgs[i])):
            if _is_base64_image(b):
                edits.append(make_edit(NAME, b, _marker(b), i, j, f"replaced a base64 image in old message {i}"))
            elif isinstance(b, dict) and b.get("type") == "tool_result" and isinstance(b.get("content"), list):
                for k, s in enumerate(b["content"]):
                    if _is_base64_image(s):
                        edits.append(make_edit(NAME, s, _marker(s), i, j, f"replaced a base64 image in the "
                                               f"tool output of old message {i}", sub=k))
    return edits
