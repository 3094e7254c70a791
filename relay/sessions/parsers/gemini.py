"""Gemini CLI chat files: `tmp/<project>/chats/session-*.jsonl` and the older `*.json`.

The JSONL file is replayed, not read as a log: a header line (`sessionId, projectHash,
startTime, kind`), then records upserted by `id` (a `gemini` record is written again once its
tool calls finish: the later copy wins, in the first copy's place) and `{"$set": {...}}` patch
lines replacing top-level fields, `messages` included. A `$set messages` over a non-empty history
is a `--resume` (same ids) or a compaction (ids dropped). Tokens are summed over every `gemini`
record id ever seen, so a history rewrite cannot hide spent tokens. The older `.json` file is one
`{sessionId, messages}` document, read whole; there a record's line is its place in the list.
"""
import dataclasses

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
    text_block,
)

_RECORD_TYPES = frozenset({"user", "gemini", "info", "error", "warning"})


def usage_of(raw):
    """Gemini counts cached tokens inside `input`; thoughts and tool-use prompt tokens apart."""
    t = as_dict(raw)
    cached, thoughts = as_int(t.get("cached")), as_int(t.get("thoughts"))
    return Usage(input_tokens=max(as_int(t.get("input")) - cached, 0) + as_int(t.get("tool")),
                 output_tokens=as_int(t.get("output")) + thoughts, cache_read_input_tokens=cached,
                 reasoning_tokens=thoughts)


def _parts(content):
    return [{"text": content}] if type(content) is str else [as_dict(p) for p in as_list(content)]


def _part_blocks(content):
    blocks = []
    for part in _parts(content):
        if "functionResponse" in part:
            fr = as_dict(part["functionResponse"])
            response = as_dict(fr.get("response"))
            blocks.append(Block(kind="tool_result", tool_id=as_str(fr.get("id")), name=as_str(fr.get("name")),
                                text=flatten_text(response.get("output", response.get("error", response)))))
        elif "text" in part:
            if part["text"]:
                blocks.append(text_block(part["text"]))
        else:
            blocks.append(Block(kind="other"))
    return blocks


class GeminiParser(LineParser):
    provider = "gemini"

    def __init__(self, path="", session_id=None):
        super().__init__(path, session_id)
        self.header = {}
        self.records = {}           # id -> (line, record), in history order
        self.tokens = {}            # gemini record id -> Usage, never dropped

    def snapshot(self):
        return {**super().snapshot(), "header": self.header, "tokens": snapshot.pairs(self.tokens),
                "records": [[rid, line, rec] for rid, (line, rec) in self.records.items()]}

    def restore(self, data):
        super().restore(data)
        if type(data["header"]) is not dict:
            raise ValueError("not a Gemini parser state")
        self.header = data["header"]
        self.tokens = snapshot.unpairs(data["tokens"], snapshot.usage)
        self.records = {rid: (line, rec) for rid, line, rec in data["records"]}

    def record(self, obj):
        if "$set" in obj:
            self._patch(as_dict(obj["$set"]))
        elif "id" in obj and "type" in obj:
            self._upsert(obj)
        elif "sessionId" in obj and not self.records:
            self.header.update(obj)
            self._header_fields(obj)
        else:
            self.session.stats.count_unknown(str(obj.get("type", "no-type")))

    def _header_fields(self, obj):
        s = self.session
        if as_str(obj.get("sessionId")):
            s.session_id = obj["sessionId"]
        self.seen_time(obj.get("startTime"))
        self.seen_time(obj.get("lastUpdated"))
        for key in ("projectHash", "kind"):
            if as_str(obj.get(key)):
                s.extra[key] = obj[key]

    def _patch(self, fields):
        if "messages" in fields:
            incoming = [as_dict(m) for m in as_list(fields["messages"])]
            ids = {m.get("id") for m in incoming}
            if any(rid not in ids for rid in self.records):
                self.session.compactions.append(Compaction(line=self.line_no, trigger="history_replaced"))
            elif self.records:
                self.session.resumes.append(self.line_no)
            before, self.records = self.records, {}
            for rec in incoming:
                if "id" in rec and "type" in rec:
                    self._upsert(rec)
            for rid, (_line, rec) in self.records.items():
                if rid in before:
                    self.records[rid] = (before[rid][0], rec)   # restored: keep where it was first written
        rest = {k: v for k, v in fields.items() if k != "messages"}
        self.header.update(rest)
        self._header_fields(rest)

    def _upsert(self, rec):
        rid = rec["id"]
        if type(rid) not in (str, int):
            raise TypeError("record id")
        kind = rec.get("type")
        if kind not in _RECORD_TYPES:
            self.session.stats.count_unknown(str(kind))
        if rid in self.records:
            self.session.stats.duplicate_lines += 1
        self.records[rid] = (self.line_no, rec)
        self.seen_time(rec.get("timestamp"))
        if kind == "gemini" and "tokens" in rec:
            self.tokens[rid] = usage_of(rec["tokens"])
        if kind == "gemini":
            self.seen_model(rec.get("model"))

    def result(self):
        messages, calls = [], []
        for line, rec in self.records.values():
            try:
                self._build(rec, line, messages, calls)
            except SHAPE_ERRORS:
                continue
        total = Usage()
        for usage in self.tokens.values():
            total = total + usage
        return dataclasses.replace(self.session, messages=messages, tool_calls=calls, usage=total)

    def _build(self, rec, line, messages, calls):
        kind, ts, rid = rec.get("type"), as_str(rec.get("timestamp")), str(rec.get("id"))
        if kind == "user":
            blocks = _part_blocks(rec.get("content"))
            first = blocks[0].text.lstrip() if blocks and blocks[0].kind == "text" else ""
            synthetic = ("tool_result" if blocks and all(b.kind == "tool_result" for b in blocks)
                         else "context" if first.startswith("<session_context>") else None)
            messages.append(Message(role="user", blocks=blocks, uuid=rid, timestamp=ts, line=line, synthetic=synthetic))
        elif kind == "gemini":
            blocks = [Block(kind="thinking", text="\n".join(x for x in (as_str(as_dict(t).get("subject")),
                                                                       as_str(as_dict(t).get("description"))) if x))
                      for t in as_list(rec.get("thoughts"))]
            blocks += _part_blocks(rec.get("content"))
            for tc in as_list(rec.get("toolCalls")):
                tc = as_dict(tc)
                call_id, name = as_str(tc.get("id")) or "", as_str(tc.get("name")) or ""
                blocks.append(Block(kind="tool_use", tool_id=call_id, name=name, input=tc.get("args")))
                call = ToolCall(id=call_id, name=name, input=tc.get("args"), line=line, message_index=len(messages))
                if "result" in tc:
                    results = [b.text for b in _part_blocks(tc["result"]) if b.kind == "tool_result"]
                    call.result, call.result_line = "\n".join(results), line
                    call.is_error = tc.get("status") in ("error", "cancelled")
                calls.append(call)
            messages.append(Message(role="assistant", blocks=blocks, uuid=rid, message_id=rid, timestamp=ts, line=line,
                                    model=as_str(rec.get("model")), usage=self.tokens.get(rec.get("id"))))
        elif kind in ("info", "error", "warning"):
            messages.append(Message(role="system", blocks=_part_blocks(rec.get("content")), uuid=rid, timestamp=ts,
                                    line=line, synthetic="info", subtype=kind))


class GeminiJsonParser(GeminiParser):
    """The pre-JSONL chat file: `{sessionId, projectHash, startTime, lastUpdated, messages}`."""
    appendable = False

    def __init__(self, path="", session_id=None):
        super().__init__(path, session_id)
        self._chunks = []

    def feed(self, chunk):
        self._chunks.append(chunk)
        return b""

    def end(self, tail):
        data = b"".join(self._chunks) + tail
        self._chunks = []
        stats = self.session.stats
        stats.bytes, stats.lines, self.offset = len(data), data.count(b"\n") + 1, len(data)
        stats.truncated_tail = False
        if not data.strip():
            return
        doc = self.decode(data)
        if doc is None:
            return
        self.guarded(self._header_fields, doc)
        # A document has no lines to point at: a record's "line" is its 1-based place in the list.
        for self.line_no, rec in enumerate(as_list(doc.get("messages")), start=1):
            rec = as_dict(rec)
            if "id" in rec and "type" in rec:
                self.guarded(self._upsert, rec)
