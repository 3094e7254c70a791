"""Per-provider repairs for `relay recover`, on the file's own records (recover.Line objects).

Each repair answers every tool call left without a result with an error result in the shape
the CLI writes itself, and removes results whose call is gone:
  claude       a `user` line with a tool_result block (is_error) right after the assistant line,
               chained to it by parentUuid; lines that hung from the assistant line (and
               last-prompt leafUuid) now hang from the new line; afterwards every parentUuid /
               leafUuid that points at a missing line is re-pointed.
  codex        a `function_call_output` (or custom_tool_call_output) response item right after
               the call; `ordinal` is renumbered when the file numbers its lines 0, 1, 2 ...
  gemini       the `gemini` record written again with the missing results (status "error"), and
               the `user` functionResponse record the CLI writes after it.
"""
import copy
import json
import uuid
from dataclasses import dataclass

STUB = ("[relay recover] this tool call was cut off before its result was recorded; "
        "it may or may not have run")
# How each provider's top-level record starts: used to find a whole record after a tear.
RECORD_STARTS = {
    "claude": (b'{"parentUuid":', b'{"type":', b'{"uuid":', b'{"isSidechain":'),
    "codex": (b'{"timestamp":', b'{"type":', b'{"id":'),
    "gemini": (b'{"id":', b'{"$set":', b'{"sessionId":'),
}
_CLAUDE_CONTEXT = ("isSidechain", "userType", "entrypoint", "cwd", "sessionId", "version", "gitBranch", "agentId",
                   "slug")
_CODEX_CALLS = {"function_call": "function_call_output", "custom_tool_call": "custom_tool_call_output"}


@dataclass
class Line:
    """One record of the file. `raw` is None once `obj` changed or the line is new."""
    no: int | None          # 1-based line number in the original file; None for an added line
    obj: dict
    raw: bytes | None = None

    def encode(self):
        if self.raw is not None:
            return self.raw
        return json.dumps(self.obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class Change:
    kind: str        # dropped_line, salvaged_record, added_result, removed_result, relinked, added_newline
    line: int | None
    detail: str

    def to_dict(self):
        return {"kind": self.kind, "line": self.line, "detail": self.detail}


def is_record(provider, obj):
    """True when `obj` has the top-level keys of a record of this provider's files."""
    if provider == "claude":
        return "type" in obj and "sessionId" in obj
    if provider == "codex":
        return "type" in obj and ("payload" in obj or "timestamp" in obj)
    return "$set" in obj or ("id" in obj and "type" in obj) or ("sessionId" in obj and "projectHash" in obj)


def repair(provider, lines):
    return {"claude": _claude, "codex": _codex, "gemini": _gemini}[provider](lines)


def _edit(line, obj):
    line.obj, line.raw = obj, None


# --- Claude Code ---------------------------------------------------------------------------

def _blocks(obj, role):
    msg = obj.get("message")
    content = msg.get("content") if obj.get("type") == role and isinstance(msg, dict) else None
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _ids(lines, role, kind, key):
    return {b.get(key) for ln in lines for b in _blocks(ln.obj, role) if b.get("type") == kind}


def _claude(lines):
    changes = []
    uses = _ids(lines, "assistant", "tool_use", "id")
    dropped = {}                       # uuid of a removed line -> its parentUuid
    kept = []
    for ln in lines:
        blocks = _blocks(ln.obj, "user")
        stray = [b for b in blocks if b.get("type") == "tool_result" and b.get("tool_use_id") not in uses]
        if not stray:
            kept.append(ln)
            continue
        ids = ", ".join(str(b.get("tool_use_id")) for b in stray)
        if len(stray) == len(blocks):
            dropped[ln.obj.get("uuid")] = ln.obj.get("parentUuid")
            changes.append(Change("removed_result", ln.no, f"removed the line of result(s) {ids}: no call has that id"))
            continue
        obj = copy.deepcopy(ln.obj)
        obj["message"]["content"] = [b for b in blocks if b not in stray]
        _edit(ln, obj)
        kept.append(ln)
        changes.append(Change("removed_result", ln.no, f"removed result(s) {ids}: no call has that id"))
    answered = _ids(kept, "user", "tool_result", "tool_use_id")
    out, moved = [], {}
    for ln in kept:
        out.append(ln)
        orphans = [b for b in _blocks(ln.obj, "assistant")
                   if b.get("type") == "tool_use" and b.get("id") not in answered]
        if orphans and ln.obj.get("uuid"):
            stub = _claude_stub(ln.obj, orphans)
            moved[ln.obj["uuid"]] = stub["uuid"]
            out.append(Line(None, stub))
            names = ", ".join(f"{b.get('name')} {b.get('id')}" for b in orphans)
            changes.append(Change("added_result", ln.no, f"added an error tool_result for {names}"))
    for ln in out:
        _move_children(ln, moved)
    changes += _relink(out, dropped, moved)
    return out, changes


def _claude_stub(owner, orphans):
    stub = {"parentUuid": owner["uuid"]}
    stub.update({k: owner[k] for k in _CLAUDE_CONTEXT if k in owner})
    stub.update({
        "type": "user",
        "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": b.get("id"), "content": STUB,
                                                  "is_error": True} for b in orphans]},
        "uuid": str(uuid.uuid4()),
        "timestamp": owner.get("timestamp"),
        "toolUseResult": f"Error: {STUB}",
        "sourceToolAssistantUUID": owner["uuid"],
    })
    return stub


def _move_children(ln, moved):
    """Lines that hung from an assistant line now hang from the result added after it."""
    for key in ("parentUuid", "leafUuid"):
        ref = ln.obj.get(key)
        if ref in moved and ln.obj.get("uuid") != moved[ref]:
            _edit(ln, {**ln.obj, key: moved[ref]})


def _relink(lines, dropped, moved):
    """Re-point references to lines that are not in the file any more: to the removed line's own
    parent (or the result added under that parent), else to the nearest line before."""
    present = {ln.obj.get("uuid") for ln in lines if ln.obj.get("uuid")}
    changes, last = [], None
    for ln in lines:
        for key in ("parentUuid", "leafUuid"):
            ref = ln.obj.get(key)
            if not ref or ref in present:
                continue
            target = ref
            while target in dropped:
                target = dropped[target]
            target = moved.get(target, target) if target in present else last
            _edit(ln, {**ln.obj, key: target})
            changes.append(Change("relinked", ln.no, f"{key} pointed at a line that is gone; now {target}"))
        last = ln.obj.get("uuid") or last
    return changes


# --- Codex ---------------------------------------------------------------------------------

def _item(obj):
    payload = obj.get("payload") if "payload" in obj else obj
    return payload if isinstance(payload, dict) else {}


def _codex(lines):
    changes = []
    calls = {_item(ln.obj).get("call_id") for ln in lines if _item(ln.obj).get("type") in _CODEX_CALLS}
    outputs = set(_CODEX_CALLS.values())
    kept = []
    for ln in lines:
        item = _item(ln.obj)
        if item.get("type") in outputs and item.get("call_id") not in calls:
            changes.append(Change("removed_result", ln.no,
                                  f"removed output {item.get('call_id')}: no call has that id"))
            continue
        kept.append(ln)
    answered = {_item(ln.obj).get("call_id") for ln in kept if _item(ln.obj).get("type") in outputs}
    numbered = bool(lines) and all(ln.obj.get("ordinal") == i for i, ln in enumerate(lines))
    out = []
    for ln in kept:
        out.append(ln)
        item = _item(ln.obj)
        if item.get("type") in _CODEX_CALLS and item.get("call_id") not in answered:
            stub = {"type": _CODEX_CALLS[item["type"]], "call_id": item.get("call_id"), "output": STUB}
            if "payload" in ln.obj:
                stub = {"timestamp": ln.obj.get("timestamp"), **({"ordinal": None} if numbered else {}),
                        "type": "response_item", "payload": stub}
            out.append(Line(None, stub))
            changes.append(Change("added_result", ln.no, f"added an error output for {item.get('name')} "
                                                         f"{item.get('call_id')}"))
    if numbered:
        # The CLI numbers its lines 0, 1, 2 ...: keep that true after lines were added or removed.
        for i, ln in enumerate(out):
            if ln.obj.get("ordinal") != i:
                _edit(ln, {**ln.obj, "ordinal": i})
    return out, changes


# --- Gemini --------------------------------------------------------------------------------

def _gemini(lines):
    last = {}
    for i, ln in enumerate(lines):
        if "id" in ln.obj and "type" in ln.obj and isinstance(ln.obj.get("id"), (str, int)):
            last[ln.obj["id"]] = i
    inserts, changes = {}, []
    for i in last.values():
        rec = lines[i].obj
        calls = rec.get("toolCalls") if rec.get("type") == "gemini" else None
        missing = [tc for tc in calls or [] if isinstance(tc, dict) and "result" not in tc]
        if not missing:
            continue
        fixed = copy.deepcopy(rec)
        responses = []
        for tc in fixed["toolCalls"]:
            if isinstance(tc, dict) and "result" not in tc:
                response = {"functionResponse": {"id": tc.get("id"), "name": tc.get("name"),
                                                 "response": {"error": STUB}}}
                tc["result"], tc["status"] = [response], "error"
                responses.append(response)
        reply = {"id": str(uuid.uuid4()), "timestamp": rec.get("timestamp"), "type": "user", "content": responses}
        inserts[i] = [Line(None, fixed), Line(None, reply)]
        names = ", ".join(f"{tc.get('name')} {tc.get('id')}" for tc in missing)
        changes.append(Change("added_result", lines[i].no, f"added an error result for {names}"))
    out = []
    for i, ln in enumerate(lines):
        out.append(ln)
        out.extend(inserts.get(i, ()))
    return out, changes
