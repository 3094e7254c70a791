"""Where text lives in a request body, and the text surgery the strategies share.

Text sits in four kinds of places: a message whose content is a string, a text block, a
tool_result whose content is a string, and a text block inside a tool_result's content list.
A Place knows its location and builds the Edit that replaces its text; the body is never touched.
Markers always start with "[relay " and the strategy name, so a reader (and the model) can tell
relay's words from the conversation's.
"""
import re
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from relay.proxy.stages.prune.edits import blocks_of, make_edit


@dataclass
class Place:
    message: int
    block: int | None
    sub: int | None
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


_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")   # str.splitlines breaks besides \n


def _only_newlines(text):
    """No line break but \n: a few scans in C (the regex, slower, only for non-ASCII text)."""
    return not any(c in text for c in "\r\x0b\x0c\x1c\x1d\x1e") \
        and (text.isascii() or _OTHER_BREAKS.search(text) is None)


def _line_cut(text, head_chars, tail_chars):
    """(head chars, head lines, tail chars, tail lines, lines) of trim_middle for a text whose only
    line break is \n, found with str.rfind/find/count (in C) instead of a list of every line."""
    n = len(text)
    total = text.count("\n") + (1 if n and text[-1] != "\n" else 0)
    size = n if n <= head_chars else text.rfind("\n", 0, head_chars) + 1
    head = text.count("\n", 0, size) + (1 if size and text[size - 1] != "\n" else 0)
    x = max(n - tail_chars, size)
    start = 0 if x == 0 else text.find("\n", x - 1) + 1
    if start == 0 and x > 0 or start >= n:
        return size, head, 0, 0, total
    return size, head, n - start, total - text.count("\n", 0, start), total


def _line_cut_any(text, head_chars, tail_chars):
    """_line_cut for text with any line breaks (\r, \x0b, \u2028 ...): a list of every line.
    It is also the reference the fast path is tested against."""
    lines = text.splitlines(keepends=True)
    head, size = 0, 0
    while head < len(lines) and size + len(lines[head]) <= head_chars:
        size += len(lines[head])
        head += 1
    tail, tsize = 0, 0
    while tail < len(lines) - head and tsize + len(lines[-1 - tail]) <= tail_chars:
        tsize += len(lines[-1 - tail])
        tail += 1
    return size, head, tsize, tail, len(lines)


def trim_middle(strategy, text, head_chars, tail_chars):
    """(new text, note): whole lines kept from the start up to head_chars and from the end up to
    tail_chars, the middle replaced by a marker that says what was cut and what was kept. A text
    with too few line breaks is cut by characters instead."""
    cut_at = _line_cut if _only_newlines(text) else _line_cut_any
    size, head, tsize, tail, count = cut_at(text, head_chars, tail_chars)
    if head + tail == 0 or size + tsize < (head_chars + tail_chars) // 2:
        first, last = text[:head_chars], text[len(text) - tail_chars:]
        cut = len(text) - len(first) - len(last)
        note = (f"cut {cut:,} chars from the middle of {len(text):,}; kept the first {len(first):,} "
                f"and the last {len(last):,} chars")
    else:
        first = text[:size]
        last = text[len(text) - tsize:]
        cut = len(text) - len(first) - len(last)
        note = (f"cut {cut:,} chars ({count - head - tail:,} lines) from the middle; kept "
                f"{len(first) + len(last):,} chars: the first {head:,} and the last {tail:,} of {count:,} lines")
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


def collapse_runs(strategy, text, key, min_run, keep_head, keep_tail, what, keys=None):
    """(new text, removed lines, removed chars) with every run of at least min_run consecutive
    lines sharing a non-None key(line) cut to its first keep_head and last keep_tail lines and a
    marker; (text, 0, 0) when there is no such run. `keys`, when given, is key(line) for every
    line of text.split("\n"), computed by the caller. Runs are found with itertools.groupby (in
    C); the text is only rebuilt when there is a run."""
    lines = text.split("\n")
    runs, i = [], 0
    for k, group in groupby(map(key, lines) if keys is None else keys):
        j = i + len(list(group))
        if k is not None and j - i >= min_run:
            runs.append((i, j))
        i = j
    if not runs:
        return text, 0, 0
    out, removed, removed_chars, i = [], 0, 0, 0
    for start, j in runs:
        out.extend(lines[i:start + keep_head])
        middle = lines[start + keep_head:j - keep_tail]
        chars = sum(map(len, middle)) + len(middle)
        out.append(f"[relay {strategy}: removed {len(middle):,} {what} ({chars:,} chars)]")
        out.extend(lines[j - keep_tail:j])
        removed += len(middle)
        removed_chars += chars
        i = j
    out.extend(lines[i:])
    return ("\n".join(out), removed, removed_chars) if removed else (text, 0, 0)
