"""Codex CLI rollout files (`sessions/YYYY/MM/DD/rollout-*.jsonl`).

Current lines are `{timestamp, ordinal, type, payload}`; older rollouts wrote the response items
bare (`{"type":"message",...}`) after a meta line without a `type`, which are upgraded on the
fly. The assistant-side items of one model response (reasoning, message, function_call) become
one assistant Message; `token_usage_record` closes it with its usage. `token_count` events are
the fallback for rollouts without usage records, taken only when no record covered the
response (and only when the running total moved, since old versions repeat the event), so
nothing is counted twice. A `thread_settings_applied` event after a finished task, or a second
`session_meta`, starts a resumed run.
"""

from relay.models import Block, Compaction, Message, ToolCall, Usage
from relay.sessions.parsers import snapshot
from relay.sessions.parsers.base import (
    LineParser,
    as_dict,
    as_int,
    as_list,
    as_str,
    flatten_text,
    text_block,
    top_level_at,
)

_ASSISTANT_ITEMS = frozenset({"reasoning", "function_call", "custom_tool_call", "local_shell_call", "web_search_call"})
_OUTPUT_ITEMS = frozenset({"function_call_output", "custom_tool_call_output"})
_ITEM_TYPES = _ASSISTANT_ITEMS | _OUTPUT_ITEMS | {"message", "compaction", "compaction_summary"}
_KNOWN = frozenset({"session_meta", "turn_context", "response_item", "event_msg", "token_usage_record", "compacted",
                    "world_state"})
# event_msg kinds that repeat what response items already hold; their (large) lines are skipped undecoded.
_EVENT_SKIP = (b"item_completed", b"item_started", b"agent_message", b"user_message", b"agent_reasoning",
               b"exec_command_output_delta", b"exec_command_end", b"exec_command_begin")
_EVENT_AT = b'"type":"event_msg","payload":{"type":"'
_CONTEXT_PREFIXES = ("<environment_context>", "<user_instructions>", "<skills_instructions>", "# AGENTS.md",
                     "<permissions instructions>")


def usage_of(raw):
    """OpenAI counts cached and cache-written tokens inside input_tokens and reasoning inside
    output_tokens; relay's Usage keeps input apart from cache reads/writes (as Anthropic does)."""
    u = as_dict(raw)
    cached, written = as_int(u.get("cached_input_tokens")), as_int(u.get("cache_write_input_tokens"))
    return Usage(input_tokens=max(as_int(u.get("input_tokens")) - cached - written, 0),
                 output_tokens=as_int(u.get("output_tokens")), cache_creation_input_tokens=written,
                 cache_read_input_tokens=cached, reasoning_tokens=as_int(u.get("reasoning_output_tokens")))


class CodexParser(LineParser):
    provider = "codex"

    def __init__(self, path="", session_id=None):
        super().__init__(path, session_id)
        self._open = None            # assistant Message of the response being written
        self._open_index = -1
        self._open_calls = {}        # call_id -> ToolCall waiting for its output
        self._covered = False        # a token_usage_record counted the current response
        self._last_total = None      # last token_count total, to drop repeated events
        self._task_done = False
        self._resuming = False
        self._metas = 0
        self._model = None
        self._responses = set()

    _FLAGS = ("_open_index", "_covered", "_last_total", "_task_done", "_resuming", "_metas", "_model")

    def snapshot(self):
        calls = self.session.tool_calls
        return {**super().snapshot(), "flags": [getattr(self, name) for name in self._FLAGS],
                "open": self._open is not None, "responses": self._responses,
                "open_calls": list(zip(self._open_calls, snapshot.indexes(calls, self._open_calls.values())))}

    def restore(self, data):
        super().restore(data)
        for name, value in zip(self._FLAGS, data["flags"], strict=True):
            setattr(self, name, value)
        # The open message is the one at _open_index: written once, found again by its place.
        self._open = self.session.messages[self._open_index] if data["open"] is True else None
        self._responses = set(data["responses"])
        self._open_calls = {call_id: self.session.tool_calls[i] for call_id, i in data["open_calls"]}

    def line(self, raw):
        i = top_level_at(raw, _EVENT_AT, 200)
        if i > 0 and raw.startswith(_EVENT_SKIP, i + len(_EVENT_AT)):
            return
        super().line(raw)

    def record(self, obj):
        self.seen_time(obj.get("timestamp"))
        kind, payload = obj.get("type"), obj.get("payload")
        if "payload" not in obj:
            self._legacy(obj)
        elif kind == "response_item":
            self._item(as_dict(payload))
        elif kind == "event_msg":
            self._event(as_dict(payload))
        elif kind == "token_usage_record":
            self._usage_record(as_dict(payload))
        elif kind == "session_meta":
            self._meta(as_dict(payload))
        elif kind == "turn_context":
            payload = as_dict(payload)
            self._model = as_str(payload.get("model")) or self._model
            self.seen_model(self._model)
            self.session.cwd = self.session.cwd or as_str(payload.get("cwd"))
        elif kind == "compacted":
            self._close()
            self.session.compactions.append(Compaction(line=self.line_no, timestamp=as_str(obj.get("timestamp"))))
        elif kind not in _KNOWN:
            self.session.stats.count_unknown(str(kind))

    def _legacy(self, obj):
        if obj.get("type") in _ITEM_TYPES:
            self._item(obj)
        elif "record_type" in obj:
            return
        elif "type" not in obj and "id" in obj:
            self._meta(obj)
        else:
            self.session.stats.count_unknown(str(obj.get("type")))

    def _meta(self, meta):
        s = self.session
        self._metas += 1
        if self._metas > 1:
            self._resume()
            return
        s.session_id = s.session_id or as_str(meta.get("id")) or as_str(meta.get("session_id")) or ""
        s.cwd = as_str(meta.get("cwd"))
        self.seen_time(meta.get("timestamp"))
        for key in ("cli_version", "originator", "model_provider", "source"):
            if as_str(meta.get(key)):
                s.extra[key] = meta[key]
        base = as_dict(meta.get("base_instructions")).get("text") or meta.get("instructions")
        if type(base) is str and base:
            # Sent as the first input item of every request: the system prompt.
            s.messages.append(Message(role="system", blocks=[Block(kind="text", text=base)], line=self.line_no,
                                      synthetic="context", subtype="base_instructions"))

    def _resume(self):
        if self._resuming:          # both signs of one resumed run: record it once
            return
        self._close()
        self.session.resumes.append(self.line_no)
        self._task_done, self._resuming = False, True

    def _event(self, payload):
        kind = payload.get("type")
        if kind == "task_started":
            self._resuming = False
        elif kind == "task_complete":
            self._task_done = True
        elif kind == "thread_settings_applied" and self._task_done:
            self._resume()
        elif kind == "token_count":
            self._token_count(as_dict(payload.get("info")))

    # --- response items ------------------------------------------------------------------
    def _item(self, item):
        kind = item.get("type")
        if kind == "message":
            self._message_item(item)
        elif kind in _ASSISTANT_ITEMS:
            self._assistant_item(kind, item)
        elif kind in _OUTPUT_ITEMS:
            self._output(item)
        elif kind in ("compaction", "compaction_summary"):
            self._close()
            self.session.compactions.append(Compaction(line=self.line_no))
        else:
            self.session.stats.count_unknown(f"response_item/{kind}")

    def _message_item(self, item):
        role = item.get("role")
        blocks = [text_block(as_dict(c).get("text")) for c in as_list(item.get("content"))
                  if as_dict(c).get("type") in ("input_text", "output_text", "text")]
        if role == "assistant":
            target = self._target()
            target.blocks.extend(blocks)
            target.message_id = target.message_id or as_str(item.get("id"))
            return
        self._close()
        first = blocks[0].text.lstrip() if blocks else ""
        if role == "developer" or role == "system":
            role, synthetic = "system", "context"
        else:
            role, synthetic = "user", ("context" if first.startswith(_CONTEXT_PREFIXES) else None)
        self.session.messages.append(Message(role=role, blocks=blocks, line=self.line_no, synthetic=synthetic,
                                             subtype=as_str(item.get("role"))))

    def _assistant_item(self, kind, item):
        target = self._target()
        if kind == "reasoning":
            text = "\n".join(as_str(as_dict(s).get("text")) or "" for s in as_list(item.get("summary")))
            target.blocks.append(Block(kind="thinking", text=text))
            return
        if kind == "web_search_call":
            target.blocks.append(Block(kind="other", name=kind))
            return
        call_id = as_str(item.get("call_id")) or as_str(item.get("id")) or ""
        name = as_str(item.get("name")) or ("shell" if kind == "local_shell_call" else "")
        args = item.get("arguments", item.get("input", item.get("action")))
        if type(args) is str and args[:1] in ("{", "["):
            try:
                args = self.loads_value(args)
            except (ValueError, RecursionError):
                pass
        target.blocks.append(Block(kind="tool_use", tool_id=call_id, name=name, input=args))
        call = ToolCall(id=call_id, name=name, input=args, line=self.line_no, message_index=self._open_index)
        self.session.tool_calls.append(call)
        self._open_calls[call_id] = call

    def _output(self, item):
        self._close()
        call_id = as_str(item.get("call_id")) or ""
        output = item.get("output")
        text = output if type(output) is str else flatten_text(output)
        self.session.messages.append(Message(role="user",
                                             blocks=[Block(kind="tool_result", text=text, tool_id=call_id)],
                                             line=self.line_no, synthetic="tool_result"))
        call = self._open_calls.pop(call_id, None)
        if call is not None:
            call.result, call.result_line = text, self.line_no

    def _target(self):
        if self._open is None:
            self._open = Message(role="assistant", line=self.line_no, model=self._model)
            self._open_index = len(self.session.messages)
            self.session.messages.append(self._open)
        return self._open

    def _close(self):
        self._open = None

    # --- usage ---------------------------------------------------------------------------
    def _usage_record(self, payload):
        rid = as_str(payload.get("response_id"))
        if rid is not None and rid in self._responses:
            self.session.stats.duplicate_lines += 1
            return
        if rid is not None:
            self._responses.add(rid)
        target = self._target()
        target.usage = usage_of(payload.get("usage"))
        target.message_id = rid or target.message_id
        self._close()
        self._covered = True

    def _token_count(self, info):
        total = info.get("total_token_usage")
        if total is None or total == self._last_total:
            return
        self._last_total = total
        if self._covered:
            self._covered = False
            return
        last = self._last_assistant()
        if last is None or last.usage is not None:
            last = self._target()
        last.usage = usage_of(info.get("last_token_usage"))
        self._close()

    def _last_assistant(self):
        for msg in reversed(self.session.messages):
            if msg.role == "assistant":
                return msg
            if msg.synthetic is None and msg.role == "user":
                return None
        return None
