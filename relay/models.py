"""The shapes relay's data takes, shared by the proxy, the session parsers and every reader.

Plain dataclasses; `to_dict()` is the one serializer that the API, pages, SSE and MCP use.
Nothing here does I/O.
"""
import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any

OUTCOMES = ("ok", "upstream_error", "upstream_closed", "client_closed", "unreachable", "interrupted")


def _plain(obj):
    return asdict(obj)


@dataclass
class Usage:
    """Tokens of one model response. cache_creation_* is the lump; the 5m/1h split is kept apart
    because a 1h write costs 2x base input and a 5m write 1.25x."""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_creation_5m_input_tokens: int = 0
    cache_creation_1h_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other):
        return Usage(*[getattr(self, name) + getattr(other, name) for name in _USAGE_FIELDS])

    @property
    def total(self):
        return (self.input_tokens + self.output_tokens + self.cache_creation_input_tokens
                + self.cache_read_input_tokens)

    def to_dict(self):
        return _plain(self)


_USAGE_FIELDS = tuple(f.name for f in fields(Usage))   # in declaration order, for positional construction


@dataclass
class Exchange:
    """One proxied HTTP request and its response, as recorded in the `exchanges` table."""
    id: str
    ts: float
    provider: str
    method: str
    path: str
    model: str | None = None
    session_id: str | None = None
    client: str | None = None
    status: int | None = None
    stream: bool = False
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None
    message_id: str | None = None
    request_id: str | None = None
    ttfb_ms: float | None = None
    duration_ms: float | None = None
    outcome: str | None = None
    error: str | None = None
    ratelimit: dict = field(default_factory=dict)
    request_bytes: int = 0
    response_bytes: int = 0
    cli: str | None = None    # the client CLI (relay.clients NAMES) from the mount and the user agent
    # Attached by the proxy's stages while the exchange runs (relay.proxy.stages); not recorded
    # as columns, so they stay out of to_dict, equality and repr.
    changes: list[dict] = field(default_factory=list, compare=False, repr=False,
                                metadata={"stage": True})    # one dict per planned pruning edit
    sent_body: bytes | None = field(default=None, compare=False, repr=False,
                                    metadata={"stage": True})  # kept only when a stage captures
    content_parts: list | None = field(default=None, compare=False, repr=False,
                                       metadata={"stage": True})  # decoded response content events
    # The person whose access token the request carried (a relay with --auth-tokens); the row's
    # os_user then names them instead of the OS user relay runs as.
    person: str | None = field(default=None, compare=False, repr=False, metadata={"stage": True})
    # What validate_exchange() had to change: field -> the raw value, shortened. Its own column.
    invalid: dict = field(default_factory=dict, compare=False, repr=False, metadata={"stage": True})

    def to_dict(self):
        data = {f.name: getattr(self, f.name) for f in _EXCHANGE_COLUMNS}
        data["ratelimit"] = dict(self.ratelimit)
        data.update(data.pop("usage").to_dict())
        return data


_EXCHANGE_COLUMNS = tuple(f for f in fields(Exchange) if not f.metadata.get("stage"))


# --- values from outside: bounded before anything stores or sums them ----------------------
# A token count above this is no model's (contexts hold a few million tokens); the cap keeps
# each value, and any SUM over a table of them, inside SQLite's 64-bit integers.
MAX_TOKENS = 2**32 - 1
MAX_ID_CHARS = 256
_ID_FIELDS = ("model", "session_id", "client", "stop_reason", "message_id", "request_id")


def _raw(value):
    text = json.dumps(value, default=repr) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


def token_count(value):
    """(a non-negative int <= MAX_TOKENS, True when `value` had to change to be one)."""
    if type(value) is int and 0 <= value <= MAX_TOKENS:
        return value, False
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        return int(min(max(value, 0), MAX_TOKENS)), True
    return 0, True


def bounded_id(value):
    """An id as stored: None, or a string of at most MAX_ID_CHARS (a dict, list or number from a
    request becomes its JSON text)."""
    if value is None:
        return None
    if not isinstance(value, str):
        try:
            value = json.dumps(value, sort_keys=True, default=repr)
        except (ValueError, RecursionError):   # an int past Python's digit limit, deep nesting
            value = f"<{type(value).__name__}>"
    return value[:MAX_ID_CHARS]


def validate_exchange(ex):
    """Make every value of `ex` that came from a request or from upstream storable and summable:
    ids become bounded strings, token counts non-negative ints within MAX_TOKENS. Each change is
    noted in `ex.invalid` with the raw value. Idempotent; never raises."""
    for name in _ID_FIELDS:
        value = getattr(ex, name)
        clean = bounded_id(value)
        if clean != value:
            ex.invalid[name] = _raw(f"<{type(value).__name__}>" if not isinstance(value, str) else value)
            setattr(ex, name, clean)
    usage = ex.usage if isinstance(ex.usage, Usage) else Usage()
    for name in _USAGE_FIELDS:
        value = getattr(usage, name)
        clean, changed = token_count(value)
        if changed:
            ex.invalid[name] = _raw(value) if type(value) is not int or value.bit_length() < 256 else "<huge int>"
            setattr(usage, name, clean)
    ex.usage = usage
    return ex


# --- session files -------------------------------------------------------------------------

@dataclass
class Block:
    """One content block. kind: text, thinking, tool_use, tool_result, image, other."""
    kind: str
    text: str = ""
    tool_id: str | None = None
    name: str | None = None
    input: Any = None
    is_error: bool = False

    @property
    def chars(self):
        if self.kind == "tool_use":
            if self.input is None:
                return len(self.name or "")
            return len(self.name or "") + len(json.dumps(self.input, ensure_ascii=False))
        return len(self.text)


@dataclass
class Message:
    """One logical message of a session (several file lines of one API message are merged).

    role: user, assistant or system. `synthetic` names why a user-role message was written by
    the tool rather than the person (None when a person wrote it): "interrupt", "meta",
    "compact_summary", "hook", "system_reminder", "tool_result" ...
    """
    role: str
    blocks: list = field(default_factory=list)
    uuid: str | None = None
    parent_uuid: str | None = None
    timestamp: str | None = None
    line: int = 0
    model: str | None = None
    message_id: str | None = None
    request_id: str | None = None
    usage: Usage | None = None
    stop_reason: str | None = None
    synthetic: str | None = None
    sidechain: bool = False
    subtype: str | None = None     # the tool's own record kind, e.g. a Claude Code attachment type

    @property
    def text(self):
        return "\n".join(b.text for b in self.blocks if b.kind == "text")

    def to_dict(self):
        return _plain(self)


@dataclass
class ToolCall:
    """A tool_use and, when found, its tool_result."""
    id: str
    name: str
    input: Any
    line: int
    message_index: int
    result: str | None = None
    result_line: int | None = None
    is_error: bool = False

    @property
    def has_result(self):
        return self.result_line is not None


@dataclass
class Compaction:
    """A context compaction: Claude Code's compact_boundary, Codex's compacted item, Gemini's
    history replacement."""
    line: int
    timestamp: str | None = None
    trigger: str | None = None
    pre_tokens: int | None = None
    post_tokens: int | None = None


@dataclass
class ParseStats:
    """What the parser met: bad lines are skipped and counted, never fatal."""
    lines: int = 0
    bytes: int = 0
    bad_lines: int = 0
    truncated_tail: bool = False
    non_utf8_lines: int = 0
    unknown_types: dict = field(default_factory=dict)
    duplicate_lines: int = 0

    def count_unknown(self, kind):
        self.unknown_types[kind] = self.unknown_types.get(kind, 0) + 1


@dataclass
class Turn:
    """One model turn: a model response and the messages that led to it since the previous one.
    `index` is 0-based in session order; usage is the response's (deduped) usage."""
    index: int
    messages: list = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str | None = None
    timestamp: str | None = None


@dataclass
class Session:
    provider: str                     # the client: claude, codex, gemini
    session_id: str
    path: str
    project: str | None = None
    cwd: str | None = None
    started: str | None = None
    ended: str | None = None
    models: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    tool_calls: list = field(default_factory=list)
    compactions: list = field(default_factory=list)
    resumes: list = field(default_factory=list)      # line numbers where a resumed run starts
    usage: Usage = field(default_factory=Usage)
    stats: ParseStats = field(default_factory=ParseStats)
    subagents: list = field(default_factory=list)    # Session objects of Claude Code sidechains
    extra: dict = field(default_factory=dict)

    def turns(self):
        """Group messages into model turns (each ends at an assistant message). Within
        `analysing(session)` the grouping is computed once and shared by every caller."""
        return list(memoized(self, "turns", self._group_turns))

    def _group_turns(self):
        turns: list[Turn] = []
        pending: list[Message] = []
        seen_ids = set()
        for msg in self.messages:
            pending.append(msg)
            if msg.role == "assistant":
                key = msg.message_id or id(msg)
                if key in seen_ids:
                    continue
                seen_ids.add(key)
                turns.append(Turn(index=len(turns), messages=pending, usage=msg.usage or Usage(),
                                  model=msg.model, timestamp=msg.timestamp))
                pending = []
        if pending:
            turns.append(Turn(index=len(turns), messages=pending))
        return turns


_MEMO = "_analysis_memo"     # an instance attribute, not a field: to_dict, eq and repr never see it


@contextmanager
def analysing(session):
    """A scope in which views derived from `session` (its turns, the detectors' locator) are
    computed once: an analysis reads them many times over. The session must not change inside
    the scope; outside it (or when the scope ends) every call computes afresh. Re-entrant."""
    if _MEMO in session.__dict__:
        yield session
        return
    session.__dict__[_MEMO] = {}
    try:
        yield session
    finally:
        session.__dict__.pop(_MEMO, None)


def memoized(session, key, build):
    """build(), computed once per `analysing` scope of `session` (every time outside one)."""
    memo = session.__dict__.get(_MEMO)
    if memo is None:
        return build()
    if key not in memo:
        memo[key] = build()
    return memo[key]


@dataclass
class Finding:
    """What a detector found. severity: info, warning, error. `where` names the line or turn."""
    detector: str
    severity: str
    message: str
    session_id: str
    where: dict = field(default_factory=dict)
    hint: str | None = None

    def to_dict(self):
        return _plain(self)


SEVERITIES = ("info", "warning", "error")
