"""Claude Code session files (`projects/<escaped-cwd>/<uuid>.jsonl`, 2.x line format).

One API message is written as several `assistant` lines (one per content block, each repeating
the usage): they are merged into one Message keyed by message.id + requestId (message.id alone
when requestId is missing), keeping the last usage unless it shrank, so tokens are counted once.
`attachment` lines are the reminders that became system-role context; a top-level `system` line
with subtype compact_boundary marks a compaction. A `cost-state` line is written when a run
exits, so any line after one belongs to a `--resume`d run appended to the same file.
The bulky bookkeeping lines (api-request-shape/-blob, prompt_snapshot) are recognised from their
first bytes and never decoded.
"""
from relay.models import Block, Compaction, Message, ToolCall, Usage
from relay.sessions.parsers import snapshot
from relay.sessions.parsers.base import (
    SHAPE_ERRORS,
    LineParser,
    as_dict,
    as_int,
    as_list,
    as_str,
    flatten_text,
    lead_type,
    text_block,
    top_level_at,
)

# Known lines that carry nothing the Session needs; decoded never.
_BOOKKEEPING = frozenset({"api-request", "api-request-shape", "api-request-blob", "queue-operation", "last-prompt",
                          "tools-used", "atis-latch", "mode", "cost-state", "file-history-snapshot", "summary"})
_SNAPSHOT = b'"attachment":{"type":"prompt_snapshot"'
_INTERRUPT = "[Request interrupted by user"
_PREFIX_SYNTHETIC = (("<command-name>", "command"), ("<local-command-", "command"),
                     ("<system-reminder>", "system_reminder"), ("<user-prompt-submit-hook>", "hook"))


def usage_of(raw):
    """Usage from an Anthropic `usage` object; the 5m/1h split is kept apart from the lump."""
    # Positional, with one lookup per field: every assistant line comes here, and the keyword
    # form with as_dict around each level took three times as long.
    u = raw if type(raw) is dict else _EMPTY
    get = u.get
    split = get("cache_creation")
    if type(split) is not dict:
        split = _EMPTY
    details = get("output_tokens_details")
    return Usage(as_int(get("input_tokens")), as_int(get("output_tokens")), as_int(get("cache_creation_input_tokens")),
                 as_int(split.get("ephemeral_5m_input_tokens")), as_int(split.get("ephemeral_1h_input_tokens")),
                 as_int(get("cache_read_input_tokens")),
                 as_int(details.get("thinking_tokens")) if type(details) is dict else 0)


_EMPTY: dict = {}


def blocks_of(content):
    if type(content) is str:
        return [Block(kind="text", text=content)]
    blocks = []
    for item in as_list(content):
        item = as_dict(item)
        kind = item.get("type")
        if kind == "text":
            blocks.append(text_block(item.get("text")))
        elif kind in ("thinking", "redacted_thinking"):
            blocks.append(Block(kind="thinking", text=as_str(item.get("thinking")) or ""))
        elif kind == "tool_use":
            blocks.append(Block(kind="tool_use", tool_id=as_str(item.get("id")), name=as_str(item.get("name")),
                                input=item.get("input")))
        elif kind == "tool_result":
            blocks.append(Block(kind="tool_result", text=flatten_text(item.get("content")),
                                tool_id=as_str(item.get("tool_use_id")), is_error=item.get("is_error") is True))
        elif kind == "image":
            blocks.append(Block(kind="image"))
        else:
            blocks.append(Block(kind="other", name=as_str(kind)))
    return blocks


def _signature(block):
    return [block.kind, block.tool_id or "", block.text[:64]]


def _synthetic(obj, blocks):
    if obj.get("isCompactSummary"):
        return "compact_summary"
    if obj.get("isMeta"):
        return "meta"
    texts = [b.text for b in blocks if b.kind == "text"]
    if any(t.startswith(_INTERRUPT) for t in texts):
        return "interrupt"
    if blocks and all(b.kind == "tool_result" for b in blocks):
        return "tool_result"
    first = texts[0].lstrip() if texts else ""
    for prefix, name in _PREFIX_SYNTHETIC:
        if first.startswith(prefix):
            return name
    return None


class ClaudeParser(LineParser):
    provider = "claude"

    def __init__(self, path="", session_id=None):
        super().__init__(path, session_id)
        self._by_key = {}          # dedupe key -> index in session.messages
        self._uuids = set()
        self._open_tools = {}      # tool_use id -> ToolCall still waiting for its result
        self._run_ended = False
        self._partial = {}         # message key -> [first block signature, blocks, bytes] of its last partial line
        self._raw_len = 0
        self._handlers = {"user": self._user, "assistant": self._assistant, "attachment": self._attachment,
                          "system": self._system}

    def snapshot(self):
        calls = self.session.tool_calls
        return {**super().snapshot(), "by_key": self._by_key, "uuids": self._uuids, "run_ended": self._run_ended,
                "partial": self._partial,
                "open_tools": list(zip(self._open_tools, snapshot.indexes(calls, self._open_tools.values())))}

    def restore(self, data):
        super().restore(data)
        self._by_key, self._uuids, self._run_ended = dict(data["by_key"]), set(data["uuids"]), data["run_ended"] is True
        self._open_tools = {tool_id: self.session.tool_calls[i] for tool_id, i in data["open_tools"]}
        self._partial = dict(data.get("partial") or {})

    def line(self, raw):
        self._raw_len = len(raw) + 1
        kind = lead_type(raw)
        obj = None
        if kind not in _BOOKKEEPING:
            if top_level_at(raw, _SNAPSHOT) > 0:
                # The system prompt and tool list as sent: only its size matters here.
                self.session.extra["prompt_snapshot_bytes"] = len(raw)
                kind = "attachment"
            else:
                obj = self.decode(raw)
                if obj is None:
                    return
                kind = obj.get("type")
                if type(kind) is not str:
                    kind = "<no type>"
        if self._run_ended and kind != "cost-state":
            self.session.resumes.append(self.line_no)
            self._run_ended = False
        if kind == "cost-state":
            self._run_ended = True
        if obj is None:
            return
        handler = self._handlers.get(kind)
        if handler is None:
            if kind not in _BOOKKEEPING:
                self.session.stats.count_unknown(str(kind))
            return
        # guarded(), inlined (once per line): each half counts its own shape error, as before
        try:
            self._common(obj)
        except SHAPE_ERRORS:
            self.session.stats.bad_lines += 1
        try:
            handler(obj)
        except SHAPE_ERRORS:
            self.session.stats.bad_lines += 1

    def _common(self, obj):
        s = self.session
        self.seen_time(obj.get("timestamp"))
        if not s.session_id and as_str(obj.get("sessionId")):
            s.session_id = obj["sessionId"]
        if s.cwd is None and as_str(obj.get("cwd")):
            s.cwd = obj["cwd"]
        if "version" not in s.extra and as_str(obj.get("version")):
            s.extra["version"] = obj["version"]

    def _fresh(self, obj):
        """False for a line whose uuid was already read (a re-written copy)."""
        uuid = as_str(obj.get("uuid"))
        if uuid is None:
            return True
        if uuid in self._uuids:
            self.session.stats.duplicate_lines += 1
            return False
        self._uuids.add(uuid)
        return True

    def _message(self, obj, role, blocks, **fields):
        return Message(role=role, blocks=blocks, uuid=as_str(obj.get("uuid")),
                       parent_uuid=as_str(obj.get("parentUuid")),
                       timestamp=as_str(obj.get("timestamp")), line=self.line_no,
                       sidechain=obj.get("isSidechain") is True, **fields)

    def _user(self, obj):
        if not self._fresh(obj):
            return
        blocks = blocks_of(as_dict(obj.get("message")).get("content"))
        self.session.messages.append(self._message(obj, "user", blocks, synthetic=_synthetic(obj, blocks)))
        for block in blocks:
            if block.kind == "tool_result":
                call = self._open_tools.pop(block.tool_id, None)
                if call is not None:
                    call.result, call.result_line, call.is_error = block.text, self.line_no, block.is_error

    def _assistant(self, obj):
        if not self._fresh(obj):
            return
        msg = as_dict(obj.get("message"))
        mid, rid = as_str(msg.get("id")), as_str(obj.get("requestId"))
        key = f"{mid}:{rid}" if mid and rid else mid
        usage = usage_of(msg["usage"]) if "usage" in msg else None
        blocks = blocks_of(msg.get("content"))
        index = self._by_key.get(key) if key else None
        if index is None:
            index = len(self.session.messages)
            if key:
                self._by_key[key] = index
            target = self._message(obj, "assistant", [], model=as_str(msg.get("model")), message_id=mid,
                                   request_id=rid, usage=usage)
            self.session.messages.append(target)
        else:
            target = self.session.messages[index]
            # output_tokens grow while streaming: keep the last usage unless it went backwards.
            if usage is not None and (target.usage is None or usage.output_tokens >= target.usage.output_tokens):
                target.usage = usage
        stop = as_str(msg.get("stop_reason"))
        known = {b.tool_id for b in target.blocks if b.kind == "tool_use"}
        restated = self._restated(key, stop, blocks) if key else 0
        if restated:
            del target.blocks[-restated:]
        target.stop_reason = stop or target.stop_reason
        self.seen_model(msg.get("model"))
        for block in blocks:
            if block.kind == "tool_use" and block.tool_id in known:
                if not restated:      # a re-written block; a restating line replaced the old copy
                    continue
            elif block.kind == "tool_use":
                call = ToolCall(id=block.tool_id or "", name=block.name or "", input=block.input, line=self.line_no,
                                message_index=index)
                self.session.tool_calls.append(call)
                if block.tool_id:
                    self._open_tools[block.tool_id] = call
            target.blocks.append(block)

    def _restated(self, key, stop, blocks):
        """How many trailing blocks of the merged message this line writes again. Older layouts
        wrote a message as it streamed: each line (stop_reason null until the final one) held
        the whole content so far. A line whose first block repeats the first block of the
        previous line of its message supersedes that line: its blocks are dropped from the merge
        and its size is counted (session.extra partial_lines, partial_bytes) for the integrity
        detector. Today's one-line-per-block layout never repeats a block."""
        sign = _signature(blocks[0]) if blocks else None
        previous = self._partial.pop(key, None)
        if stop is None and sign is not None:
            self._partial[key] = [sign, len(blocks), self._raw_len]
        if not previous or previous[0] != sign:
            return 0
        extra = self.session.extra
        extra["partial_lines"] = extra.get("partial_lines", 0) + 1
        extra["partial_bytes"] = extra.get("partial_bytes", 0) + previous[2]
        return previous[1]

    def _attachment(self, obj):
        att = as_dict(obj.get("attachment"))
        text = "\n".join(t for t in (as_str(as_dict(r).get("content")) for r in as_list(obj.get("rendered"))) if t)
        if not text or not self._fresh(obj):
            return  # never rendered into the request: no context tokens
        role = obj.get("renderedRole") if obj.get("renderedRole") in ("system", "user") else "system"
        self.session.messages.append(self._message(obj, role, [Block(kind="text", text=text)], synthetic="attachment",
                                                   subtype=as_str(att.get("type"))))

    def _system(self, obj):
        if obj.get("subtype") != "compact_boundary":
            return
        meta = as_dict(obj.get("compactMetadata"))
        self.session.compactions.append(Compaction(
            line=self.line_no, timestamp=as_str(obj.get("timestamp")), trigger=as_str(meta.get("trigger")),
            pre_tokens=as_int(meta["preTokens"]) if "preTokens" in meta else None,
            post_tokens=as_int(meta["postTokens"]) if "postTokens" in meta else None))
