"""Where text lives in a request body, and the text surgery the strategies share.

Text sits in four kinds of places: a message whose content is a string, a text block, a
tool_result whose content is a string, and a text block inside a tool_result's content list.
A Place knows its location and builds the Edit that replaces its text; the body is never touched.
Markers always start with "[relay " and the strategy name, so a reader (and the model) can tell
relay's words from the conversation's.
"""
from dataclasses import dataclass
from typing import Any, Optional

from relay.proxy.prune.edits import blocks_of, make_edit


@dataclass
class Place:
    message: int
    block: Optional[int]
    sub: Optional[int]
    text: str
    old: Any               # the value at the location: a string, a block or a sub-block
    in_tool_result: bool

    def edit(self, strategy, new_text, note, group=""):
        if isinstance(self.old, str):
            new = new_text
        elif self.old.get("type") == "tool_result":
            new = {**self.old, "content": new_text}
        else:
            new = {**self.old, "text": new_text}
        return make_edit(strategy, self.old, new, self.message, self.block, note, sub=self.sub, group=group)


def places(body, roles=("user",)):
    """Every text place in messages of the given roles, in order."""
    for i, msg in enumerate(body.get("messages") or []):
        if not isinstance(msg, dict) or msg.get("role") not in roles:
            continue
        content = msg.get("content")
        if isinstance(content, str):
            yield Place(i, None, None, content, content, False)
            continue
        for j, b in enumerate(blocks_of(msg)):
            if not isinstance(b, dict):
                continue
            if b.get("type") == "text" and isinstance(b.get("text"), str):
                yield Place(i, j, None, b["text"], b, False)
            elif b.get("type") == "tool_result":
                inner = b.get("content")
                if isinstance(inner, str):
                    yield Place(i, j, None, inner, b, True)
                elif isinstance(inner, list):
                    for k, s in enumerate(inner):
                        if isinstance(s, dict) and s.get("type") == "text" and isinstance(s.get("text"), str):
                            yield Place(i, j, k, s["text"], s, True)


def tool_output(body):
    """Text places inside tool_result blocks."""
    return (p for p in places(body) if p.in_tool_result)


def trim_middle(strategy, text, head_chars, tail_chars):
    """(new text, note): whole lines kept from the start up to head_chars and from the end up to
    tail_chars, the middle replaced by a marker that says what was cut and what was kept. A text
    with too few line breaks is cut by characters instead."""
    lines = text.splitlines(keepends=True)
    head, size = 0, 0
    while head < len(lines) and size + len(lines[head]) <= head_chars:
        size += len(lines[head])
        head += 1
    tail, tsize = 0, 0
    while tail < len(lines) - head and tsize + len(lines[-1 - tail]) <= tail_chars:
        tsize += len(lines[-1 - tail])
        tail += 1
    if head + tail == 0 or size + tsize < (head_chars + tail_chars) // 2:
        first, last = text[:head_chars], text[len(text) - tail_chars:]
        cut = len(text) - len(first) - len(last)
        note = (f"cut {cut:,} chars from the middle of {len(text):,}; kept the first {len(first):,} "
                f"and the last {len(last):,} chars")
    else:
        first = "".join(lines[:head])
        last = "".join(lines[len(lines) - tail:])
        cut = len(text) - len(first) - len(last)
        note = (f"cut {cut:,} chars ({len(lines) - head - tail:,} lines) from the middle; kept "
                f"{len(first) + len(last):,} chars: the first {head:,} and the last {tail:,} of {len(lines):,} lines")
    sep = "" if not first or first.endswith("\n") else "\n"
    return f"{first}{sep}[relay {strategy}: {note}]\n{last}", note


def trim_long(strategy, found, max_chars, head_chars, tail_chars, skip_message=None):
    """Edits that trim_middle every place in `found` longer than max_chars (except in
    skip_message), each noting where the text was and what was cut."""
    edits = []
    for place in found:
        if place.message != skip_message and len(place.text) > max_chars:
            text, note = trim_middle(strategy, place.text, head_chars, tail_chars)
            edits.append(place.edit(strategy, text, f"text in message {place.message}: {note}"))
    return edits


def collapse_runs(strategy, text, key, min_run, keep_head, keep_tail, what):
    """(new text, removed lines, removed chars) with every run of at least min_run consecutive
    lines sharing a non-None key(line) cut to its first keep_head and last keep_tail lines and a
    marker; (text, 0, 0) when there is no such run."""
    lines = text.split("\n")
    out, removed, removed_chars, i = [], 0, 0, 0
    while i < len(lines):
        k = key(lines[i])
        j = i + 1
        if k is not None:
            while j < len(lines) and key(lines[j]) == k:
                j += 1
        if k is not None and j - i >= min_run:
            middle = lines[i + keep_head:j - keep_tail]
            chars = sum(len(x) + 1 for x in middle)
            out.extend(lines[i:i + keep_head])
            out.append(f"[relay {strategy}: removed {len(middle):,} {what} ({chars:,} chars)]")
            out.extend(lines[j - keep_tail:j])
            removed += len(middle)
            removed_chars += chars
        else:
            out.extend(lines[i:j])
        i = j
    return ("\n".join(out), removed, removed_chars) if removed else (text, 0, 0)
