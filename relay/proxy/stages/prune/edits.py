"""One planned change to a request body (Edit), the facts strategies share (Context), size
estimates, and apply(body, edits).

Locating an edit: `where` is "messages" or "system" (the top-level system list); `message` the
index in that list (0 for system); `block` the index in the message's content list, None when the
content is a plain string; `sub` the index inside a tool_result's content list, None for the
block itself. Actions:
  replace        the value at the location becomes `new` (a block dict, or a string for string
                 content)
  drop           the block (or sub-block) is removed
  drop_message   the whole message is removed
Edits sharing a `group` stand or fall together (error_retry_loops drops a tool_use message and
its tool_result message as one unit: either alone would break the pairing).

Sizes are characters and estimated tokens = ceil(chars / 4), the estimate of
relay/sessions/composition.py. Images are the exception: the model sees pixels, not base64, so an
image counts ceil(width*height/750) tokens (PNG and GIF sizes are read from the header), capped at
IMAGE_MAX_TOKENS, the most an image costs after the API's resize; unknown sizes count the cap.
"""
import base64
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from relay.sessions.composition import estimate_tokens, read_target

IMAGE_MAX_TOKENS = 1600
REPLACE, DROP, DROP_MESSAGE = "replace", "drop", "drop_message"
SUMMARY_PREFIX = "This session is being continued from a previous conversation"


@dataclass
class Edit:
    strategy: str
    message: int
    block: int | None
    action: str
    note: str                      # what was cut, for people: recorded and shown by `relay prune report`
    chars_removed: int
    tokens_removed: int
    bytes_removed: int
    sub: int | None = None
    where: str = "messages"
    new: Any = None
    group: str = ""
    decision: str = "planned"      # applied | skipped_cost | dry_run | skipped_conflict | skipped_invalid
    cost_delta: float = 0.0        # input-token units, positive = the request costs more

    def to_dict(self):
        """The record of the edit, without the replacement value (it can be large)."""
        return {k: v for k, v in self.__dict__.items() if k != "new"}


_ESCAPED = bytes(range(0x20)) + b'"\\'                                  # json.dumps escapes these
_NOT_ESCAPED = bytes(c for c in range(256) if c not in _ESCAPED)
_SHORT_ESCAPES = b'"\\\b\f\n\r\t'                                   # two chars; the rest \u00XX


def _str_size(s):
    """UTF-8 bytes of json.dumps(s, ensure_ascii=False): the text, the quotes, one more byte per
    two-char escape and five more per \\u00XX. bytes.translate keeps only the escaped bytes (in C,
    at memory speed; UTF-8 multi-byte sequences hold no byte below 0x80). Encoding a 10 MB body's
    strings through json.dumps only to measure them cost ~50 ms."""
    data = s.encode()
    escaped = data.translate(None, _NOT_ESCAPED)
    return len(data) + 2 + len(escaped) + 4 * len(escaped.translate(None, _SHORT_ESCAPES))


def size_change(old, new):
    """json_size(old) - json_size(new). A replacement block made as {**old, key: value} keeps
    old's keys in order and shares every other value, so only the values that differ are
    measured."""
    if isinstance(old, dict) and isinstance(new, dict) and list(old) == list(new) and all(type(k) is str for k in old):
        return sum(json_size(v) - json_size(new[k]) for k, v in old.items() if new[k] is not v)
    return json_size(old) - json_size(new)


def json_size(value):
    """UTF-8 bytes of the value as relay serializes it (compact, non-ASCII kept): exactly
    len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()) (tests check
    this), summed from string lengths instead of encoding."""
    if isinstance(value, str):
        return _str_size(value)
    if isinstance(value, dict):
        if not all(type(k) is str for k in value):
            return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
        return 1 + len(value) + sum(_str_size(k) + 1 + json_size(v) for k, v in value.items()) if value else 2
    if isinstance(value, (list, tuple)):
        return 1 + len(value) + sum(json_size(v) for v in value) if value else 2
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def image_tokens(block):
    source = block.get("source") if isinstance(block, dict) else None
    data = source.get("data") if isinstance(source, dict) else None
    if not isinstance(data, str):
        return IMAGE_MAX_TOKENS
    try:
        head = base64.b64decode(data[:64] + "=" * (-len(data[:64]) % 4))
    except ValueError:
        return IMAGE_MAX_TOKENS
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        w, h = struct.unpack(">II", head[16:24])
    elif head[:4] == b"GIF8" and len(head) >= 10:
        w, h = struct.unpack("<HH", head[6:10])
    else:
        return IMAGE_MAX_TOKENS
    return min(IMAGE_MAX_TOKENS, -(-w * h // 750)) if w and h else IMAGE_MAX_TOKENS


def block_chars(block):
    """Characters the model reads in one content block (or string content)."""
    if isinstance(block, str):
        return len(block)
    if not isinstance(block, dict):
        return 0
    kind = block.get("type")
    if kind == "text":
        return len(block.get("text") or "")
    if kind == "thinking":
        return len(block.get("thinking") or "")
    if kind == "redacted_thinking":
        return len(block.get("data") or "")
    if kind == "tool_use":
        return len(json.dumps(block.get("input"), ensure_ascii=False)) + len(block.get("name") or "")
    if kind == "tool_result":
        content = block.get("content")
        if isinstance(content, list):
            return sum(block_chars(b) for b in content)
        return len(content) if isinstance(content, str) else 0
    if kind == "image":
        return 4 * image_tokens(block)
    return len(json.dumps(block, ensure_ascii=False))


def block_tokens(block):
    if isinstance(block, dict) and block.get("type") == "image":
        return image_tokens(block)
    return estimate_tokens(block_chars(block))


def make_edit(strategy, old, new, message, block, note, *, action=REPLACE, sub=None, where="messages", group=""):
    """An Edit with its sizes measured from the old and new value at the location."""
    chars = block_chars(old) - (block_chars(new) if new is not None else 0)
    size = size_change(old, new) if new is not None else json_size(old)
    tokens = block_tokens(old) - (block_tokens(new) if new is not None else 0)
    return Edit(strategy=strategy, message=message, block=block, sub=sub, where=where, action=action,
                new=new, note=note, chars_removed=chars, tokens_removed=tokens, bytes_removed=size,
                group=group or f"{strategy}:{where}:{message}:{block}:{sub}")


def message_edit(strategy, body, index, note, group):
    """An Edit that drops messages[index] whole."""
    msg = body["messages"][index]
    content = msg.get("content")
    blocks = content if isinstance(content, list) else [content]
    chars = sum(block_chars(b) for b in blocks)
    return Edit(strategy=strategy, message=index, block=None, action=DROP_MESSAGE, note=note,
                chars_removed=chars, tokens_removed=sum(block_tokens(b) for b in blocks),
                bytes_removed=json_size(msg), group=group)


def blocks_of(msg):
    """The content list of a message, or [] for string content."""
    content = msg.get("content") if isinstance(msg, dict) else None
    return content if isinstance(content, list) else []


def is_real_user(msg):
    """A user message the person wrote: not only tool_result blocks."""
    if msg.get("role") != "user":
        return False
    content = msg.get("content")
    if isinstance(content, str):
        return True
    return any(isinstance(b, dict) and b.get("type") != "tool_result" for b in content or [])


@dataclass
class Context:
    """Facts about one body that several strategies need, computed once per request."""
    messages: list
    last_assistant: int = -1
    protected: frozenset = frozenset()    # assistant messages whose thinking must stay as sent
    tool_uses: dict = field(default_factory=dict)   # id -> (message, block, name, input)
    reads: list = field(default_factory=list)       # (message, block, path, range key, text)

    @classmethod
    def of(cls, body, turns_only=False):
        """The facts; with turns_only, only last_assistant and protected (tool_uses and reads,
        which parse every call's input, stay empty): what validate needs."""
        messages = body.get("messages") if isinstance(body, dict) else None
        ctx = cls(messages=messages if isinstance(messages, list) else [])
        msgs = ctx.messages
        real_users = [i for i, m in enumerate(msgs) if isinstance(m, dict) and is_real_user(m)]
        assistants = [i for i, m in enumerate(msgs) if isinstance(m, dict) and m.get("role") == "assistant"]
        ctx.last_assistant = assistants[-1] if assistants else -1
        # The turn in progress: every assistant message after the last message the person wrote.
        # With tool use and thinking the API wants that whole turn's thinking back, not only the
        # last message's, so all of it is protected.
        start = real_users[-1] if real_users else -1
        ctx.protected = frozenset(i for i in assistants if i > start) | {ctx.last_assistant}
        if turns_only:
            return ctx
        for i, msg in enumerate(msgs):
            for j, b in enumerate(blocks_of(msg)):
                if isinstance(b, dict) and b.get("type") == "tool_use" and msg.get("role") == "assistant":
                    ctx.tool_uses[b.get("id")] = (i, j, b.get("name"), b.get("input"))
        targets = {}
        for i, msg in enumerate(msgs):
            if msg.get("role") != "user":
                continue
            for j, b in enumerate(blocks_of(msg)):
                if not (isinstance(b, dict) and b.get("type") == "tool_result") or b.get("is_error"):
                    continue
                use = ctx.tool_uses.get(b.get("tool_use_id"))
                text = b.get("content")
                if use is None or not isinstance(text, str):
                    continue
                key = (use[2], repr(use[3]))      # read_target is pure; Claude Code repeats calls
                if key not in targets:
                    targets[key] = read_target(_Call(use[2], use[3]))
                target = targets[key]
                if target:
                    ctx.reads.append((i, j, target[0], target[1], text))
        return ctx


def superseded_reads(ctx, identical, min_chars):
    """(message, block, path, text, later message) for each read of at least min_chars chars
    that a later read of the same path and range superseded: with identical=True one that
    returned the same text, else the latest read when it returned different text."""
    latest, last_same = {}, {}
    for i, _j, path, rng, text in ctx.reads:
        latest[(path, rng)] = (i, text)
        last_same[(path, rng, text)] = i
    for i, j, path, rng, text in ctx.reads:
        if identical:
            later = last_same[(path, rng, text)]
        else:
            later, later_text = latest[(path, rng)]
            later = -1 if later_text == text else later
        if later > i and len(text) >= min_chars:
            yield i, j, path, text, later


def replace_reads(strategy, ctx, identical, min_chars, marker, note):
    """Edits turning each superseded read's tool_result content into `marker`; marker and note
    are format strings over {strategy}, {chars}, {path} and {later}."""
    edits = []
    for i, j, path, text, later in superseded_reads(ctx, identical, min_chars):
        old = ctx.messages[i]["content"][j]
        fields = {"strategy": strategy, "chars": f"{len(text):,}", "path": path, "later": later}
        edits.append(make_edit(strategy, old, {**old, "content": marker.format(**fields)}, i, j, note.format(**fields)))
    return edits


@dataclass
class _Call:
    """The two attributes composition.read_target looks at."""
    name: Any
    input: Any


def _apply_content(content, edits):
    """A new content list with block- and sub-level edits applied; the old list is untouched."""
    by_block: dict[int | None, list[Edit]] = {}
    for e in edits:
        by_block.setdefault(e.block, []).append(e)
    out = []
    for j, block in enumerate(content):
        mine = by_block.get(j)
        if not mine:
            out.append(block)
            continue
        whole = [e for e in mine if e.sub is None]
        if whole:
            if whole[0].action == REPLACE:
                out.append(whole[0].new)
            continue
        subs = {e.sub: e for e in mine}
        inner = []
        for k, item in enumerate(block.get("content") or []):
            e = subs.get(k)
            if e is None:
                inner.append(item)
            elif e.action == REPLACE:
                inner.append(e.new)
        out.append({**block, "content": inner})
    return out


def apply(body, edits):
    """A new body with the edits applied. The input body and everything in it is left as it was:
    changed containers are copied on the way down, unchanged parts are shared (a full deep copy
    of a 10 MB body alone would cost more than the pruning time budget)."""
    if not edits:
        return body
    new = dict(body)
    system = [e for e in edits if e.where == "system"]
    if system and isinstance(body.get("system"), list):
        new["system"] = _apply_content(body["system"], system)
    per_message: dict[int, list[Edit]] = {}
    for e in edits:
        if e.where == "messages":
            per_message.setdefault(e.message, []).append(e)
    if per_message:
        messages = []
        for i, msg in enumerate(body["messages"]):
            mine = per_message.get(i)
            if not mine:
                messages.append(msg)
            elif any(e.action == DROP_MESSAGE for e in mine):
                continue
            elif mine[0].block is None:
                messages.append({**msg, "content": mine[0].new})
            else:
                messages.append({**msg, "content": _apply_content(msg["content"], mine)})
        new["messages"] = messages
    return new

