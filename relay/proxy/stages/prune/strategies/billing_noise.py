"""Gentle: billing and metadata header noise.

Claude Code puts `x-anthropic-billing-header: cc_version=...; cc_entrypoint=...;` as the first
system text block. The API reads it there (attribution and billing of the request), so that
first copy is never touched: removing it could change how the request is billed or served.
What is removed is only what no reader needs:
  * further system blocks that are billing headers too (a second copy adds nothing);
  * text blocks inside messages whose whole text is a billing header line (client metadata that
    leaked into the conversation), when the message keeps other blocks.
Blocks holding a cache_control breakpoint are never removed (the client placed its cache there).
Thresholds: none; each removed block is one edit.
"""
import re

from relay.proxy.stages.prune.edits import DROP, make_edit

NAME = "billing_noise"
TIER = "gentle"
_HEADER = re.compile(r"\s*x-anthropic-billing-header:[^\n]*\s*\Z")


def _is_header(block):
    return (isinstance(block, dict) and block.get("type") == "text" and not block.get("cache_control")
            and isinstance(block.get("text"), str) and _HEADER.match(block["text"]) is not None)


def plan(body, ctx=None):
    edits = []
    system = body.get("system")
    if isinstance(system, list):
        headers = [j for j, b in enumerate(system) if isinstance(b, dict) and b.get("type") == "text"
                   and _HEADER.match(b.get("text") or "")]
        for j in headers[1:]:
            if _is_header(system[j]):
                edits.append(make_edit(NAME, system[j], None, 0, j,
                                       f"dropped a repeated billing header, system block {j}",
                                       action=DROP, where="system"))
    for i, msg in enumerate(body.get("messages") or []):
        content = msg.get("content") if isinstance(msg, dict) else None
        if not isinstance(content, list):
            continue
        noise = [j for j, b in enumerate(content) if _is_header(b)]
        if noise and len(noise) < len(content):
            edits += [make_edit(NAME, content[j], None, i, j, f"dropped a billing header text in message {i}",
                                action=DROP) for j in noise]
    return edits
