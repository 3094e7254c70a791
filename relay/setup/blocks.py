"""Edits of line-based config files (TOML, .env) as clearly delimited blocks that relay owns.

A block replaces a user line it conflicts with; that line is kept inside the block as a
`# relay-init-was: <line>` comment, so removing the block puts the line back as it was.
"""
import re

WAS = "# relay-init-was: "


def _start(tag):
    return f"# >>> relay init: {tag} (remove with `relay init --undo`) >>>"


def _end(tag):
    return f"# <<< relay init: {tag} <<<"


def _find(lines, tag):
    start = next((i for i, line in enumerate(lines) if line == _start(tag)), None)
    if start is None:
        return None
    end = next((i for i in range(start, len(lines)) if lines[i] == _end(tag)), None)
    return None if end is None else (start, end)


def put(text, tag, body, replaces=None, at_start=False, region=None):
    """`text` with block `tag` holding `body` lines. `replaces` is a regex for a user line the block
    takes over (searched in lines[:region(lines)] when region is given); the block goes there,
    else at the start or the end of the file."""
    lines = (text or "").splitlines()
    span = _find(lines, tag)
    was = []
    if span:
        was = [line for line in lines[span[0]:span[1]] if line.startswith(WAS)]
        insert_at = span[0]
        del lines[span[0]:span[1] + 1]
    else:
        insert_at = 0 if at_start else len(lines)
        if replaces:
            limit = region(lines) if region else len(lines)
            hit = next((i for i in range(limit) if re.match(replaces, lines[i])), None)
            if hit is not None:
                was = [WAS + lines[hit]]
                del lines[hit]
                insert_at = hit
    block = [_start(tag), *was, *body, _end(tag)]
    lines[insert_at:insert_at] = block
    return "\n".join(lines) + "\n"


def remove(text, tag):
    """`text` without block `tag`, with the user line it had taken over restored."""
    lines = (text or "").splitlines()
    span = _find(lines, tag)
    if span is None:
        return text
    restored = [line[len(WAS):] for line in lines[span[0]:span[1]] if line.startswith(WAS)]
    lines[span[0]:span[1] + 1] = restored
    return "\n".join(lines) + "\n" if lines else ""
