"""A parser's resumable state as plain JSON data, and back, without running anything from it.

The models are written as lists of their field values in declaration order (the field names
would double the size of a state) and rebuilt by a fixed schema: which field holds which model
is known here, never read from the data, so a state can only ever produce these dataclasses
and JSON values. Shared objects (a ToolCall both in `session.tool_calls` and waiting for its
result, Codex's open Message) are written once and referred to by their index. A dict whose
keys came from a file (Gemini record ids may be numbers) is written as a list of pairs, so a
key keeps its type. Anything malformed raises; the caller treats that as "no state".
"""
from dataclasses import fields
from operator import attrgetter

from relay.models import Block, Compaction, Message, ParseStats, Session, ToolCall, Usage

_NAMES = {cls: tuple(f.name for f in fields(cls))
          for cls in (Usage, Block, Message, ToolCall, Compaction, ParseStats, Session)}
_MODELS = tuple(_NAMES)
# One C call per model (a state holds one per block and message: most of what a cold scan encodes);
# every model has several fields, so each getter gives a tuple, which JSON writes as a list.
_VALUES = {cls: attrgetter(*names) for cls, names in _NAMES.items()}


def plain(obj):
    """json.dumps(default=plain): a model as its field values; a set as a list."""
    values = _VALUES.get(type(obj))
    if values is not None:
        return values(obj)
    if type(obj) is set:
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not part of a parser state")


def _build(cls, values):
    if type(values) is not list or len(values) != len(_NAMES[cls]):
        raise ValueError(f"not a {cls.__name__}")
    return cls(*values)


def usage(values):
    return None if values is None else _build(Usage, values)


def message(values):
    msg = _build(Message, values)
    msg.blocks = [_build(Block, b) for b in msg.blocks]
    msg.usage = usage(msg.usage)
    return msg


def session(values):
    s = _build(Session, values)
    s.messages = [message(m) for m in s.messages]
    s.tool_calls = [_build(ToolCall, c) for c in s.tool_calls]
    s.compactions = [_build(Compaction, c) for c in s.compactions]
    s.usage = usage(s.usage) or Usage()
    s.stats = _build(ParseStats, s.stats)
    s.subagents = [session(sub) for sub in s.subagents]
    if type(s.extra) is not dict or type(s.stats.unknown_types) is not dict:
        raise ValueError("not a Session")
    return s


def indexes(items, wanted):
    """Positions in `items` of the objects in `wanted` (by identity)."""
    where = {id(item): i for i, item in enumerate(items)}
    return [where[id(obj)] for obj in wanted]


def pairs(mapping):
    return [[key, value] for key, value in mapping.items()]


def unpairs(items, value=lambda v: v):
    return {key: value(v) for key, v in items}
