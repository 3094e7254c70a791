"""A synthetic session history shaped like the recorded fixtures, for benchmarks.

Claude Code sessions repeat the fixture's line kinds (queue-operation, attachments with their
rendered reminders, the ~57 KB prompt_snapshot and ~38 KB api-request-shape, assistant replies
split one block per line with the usage repeated, tool results with toolUseResult copies,
last-prompt, cost-state); Codex rollouts carry session_meta, response items, item_completed
events, token_usage_record and token_count; Gemini chats a header, `$set` lines and records with
toolCalls re-written once finished. Tool results run up to 50 KB. Deterministic for a seed.
"""
import json
import os
import random
import uuid

_WORDS = ("the of and to in is that for it as was with be by on not he this are or his from at which but have an "
          "they you were her she there one all we their can has been if more when will would who so def return "
          "import class self None True False print value error file path line data result config").split()
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Text:
    """Slices of one big pre-made text, so generating a gigabyte does not cost minutes."""

    def __init__(self, rng, size=4 << 20):
        words = rng.choices(_WORDS, k=size // 4)
        for i in range(0, len(words), 13):
            words[i] += "\n" if i % 3 else ' "quoted"\t'
        self.blob = " ".join(words)
        self.rng = rng

    def __call__(self, n):
        start = self.rng.randrange(0, len(self.blob) - n - 1)
        return self.blob[start:start + n]


def _ts(rng, base, i):
    return f"2026-11-{base:02d}T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.{rng.randrange(1000):03d}Z"


def _cc_usage(rng):
    written = rng.randrange(0, 5000)     # the lump equals its 5m/1h split, as the API reports it
    return {"input_tokens": rng.randrange(1, 50), "cache_creation_input_tokens": written,
            "cache_read_input_tokens": rng.randrange(0, 150000), "output_tokens": rng.randrange(5, 2000),
            "output_tokens_details": {"thinking_tokens": 0}, "service_tier": "standard",
            "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": written}}


def claude_session(rng, text, target, day):
    sid, lines, i = str(uuid.UUID(int=rng.getrandbits(128))), [], 0
    common = {"userType": "external", "entrypoint": "cli", "cwd": f"/work/p{rng.randrange(20)}", "sessionId": sid,
              "version": "2.1.330", "gitBranch": "main"}
    parent = None

    def conv(kind, **fields):
        nonlocal parent, i
        i += 1
        node = str(uuid.UUID(int=rng.getrandbits(128)))
        line = {"parentUuid": parent, "isSidechain": False, **fields, "type": kind, "uuid": node,
                "timestamp": _ts(rng, day, i), **common}
        parent = node
        return _dumps(line)

    size = 0
    while size < target:
        prompt = text(rng.randrange(20, 400))
        batch = [_dumps({"type": "queue-operation", "operation": "enqueue", "timestamp": _ts(rng, day, i),
                         "sessionId": sid, "content": prompt}),
                 conv("user", message={"role": "user", "content": prompt}, promptId=sid),
                 conv("attachment", attachment={"type": "skill_listing", "content": text(3000)},
                      rendered=[{"content": "<system-reminder>\n" + text(3000) + "\n</system-reminder>"}],
                      renderedRole="system"),
                 conv("attachment", attachment={"type": "prompt_snapshot", "systemPrompt": [text(40000)],
                                                "tools": [text(15000)]}),
                 _dumps({"type": "api-request-shape", "sessionId": sid, "shapeHash": sid,
                         "shape": {"system": text(36000)}})]
        for _ in range(rng.randrange(1, 8)):
            mid, rid, usage = f"msg_{rng.getrandbits(64):x}", f"req_{rng.getrandbits(64):x}", _cc_usage(rng)
            tool_id = f"toolu_{rng.getrandbits(64):x}"
            msg = {"id": mid, "type": "message", "role": "assistant", "model": "claude-opus-5-5",
                   "stop_reason": "tool_use", "usage": usage}
            batch.append(_dumps({"type": "api-request", "sessionId": sid, "id": rid, "params": {"model": "x"}}))
            batch.append(conv("assistant", message={**msg, "content": [{"type": "text", "text": text(300)}]},
                              requestId=rid))
            batch.append(conv("assistant", message={**msg, "content": [{"type": "tool_use", "id": tool_id,
                                                                        "name": "Bash",
                                                                        "input": {"command": text(60)}}]},
                              requestId=rid))
            out = text(min(int(rng.paretovariate(1.2) * 800), 50000))
            batch.append(conv("user", message={"role": "user", "content": [
                {"tool_use_id": tool_id, "type": "tool_result", "content": out, "is_error": False}]},
                toolUseResult={"stdout": out, "stderr": "", "interrupted": False}))
        batch.append(conv("assistant", message={"id": f"msg_{rng.getrandbits(64):x}", "role": "assistant",
                                                "model": "claude-opus-5-5",
                                                "content": [{"type": "text", "text": text(500)}],
                                                "stop_reason": "end_turn", "usage": _cc_usage(rng)},
                          requestId=f"req_{rng.getrandbits(64):x}"))
        batch.append(_dumps({"type": "last-prompt", "lastPrompt": prompt[:50], "sessionId": sid}))
        batch.append(_dumps({"type": "cost-state", "sessionId": sid, "totalCostUSD": rng.random()}))
        chunk = "\n".join(batch) + "\n"
        lines.append(chunk)
        size += len(chunk.encode())
    return sid, "".join(lines)


def codex_session(rng, text, target, day):
    sid, i, parts = str(uuid.UUID(int=rng.getrandbits(128))), 0, []

    def line(kind, payload):
        nonlocal i
        i += 1
        return _dumps({"timestamp": _ts(rng, day, i), "ordinal": i, "type": kind, "payload": payload})

    parts.append(line("session_meta", {"id": sid, "cwd": "/work/c", "cli_version": "0.169.0",
                                       "base_instructions": {"text": text(20000)}}) + "\n")
    size = len(parts[0])
    while size < target:
        batch = [line("turn_context", {"turn_id": sid, "model": "gpt-5-codex", "cwd": "/work/c"}),
                 line("response_item", {"type": "message", "role": "user",
                                        "content": [{"type": "input_text", "text": text(200)}]})]
        total = 0
        for _ in range(rng.randrange(1, 8)):
            call, out = f"call_{rng.getrandbits(48):x}", text(min(int(rng.paretovariate(1.2) * 800), 50000))
            usage = {"input_tokens": rng.randrange(1000, 90000), "cached_input_tokens": 900,
                     "output_tokens": rng.randrange(5, 900), "reasoning_output_tokens": 0, "total_tokens": 0}
            total += usage["input_tokens"]
            batch += [line("response_item", {"type": "function_call", "name": "exec_command", "call_id": call,
                                             "arguments": _dumps({"cmd": text(50)})}),
                      line("token_usage_record", {"response_id": f"resp_{rng.getrandbits(48):x}", "usage": usage}),
                      line("event_msg", {"type": "item_completed", "item": {"type": "CommandExecution",
                                                                            "aggregated_output": out}}),
                      line("response_item", {"type": "function_call_output", "call_id": call, "output": out}),
                      line("event_msg", {"type": "token_count", "info": {"total_token_usage": {"input_tokens": total},
                                                                         "last_token_usage": usage}})]
        batch.append(line("response_item", {"type": "message", "role": "assistant",
                                            "content": [{"type": "output_text", "text": text(400)}]}))
        chunk = "\n".join(batch) + "\n"
        parts.append(chunk)
        size += len(chunk.encode())
    return sid, "".join(parts)


def gemini_session(rng, text, target, day):
    sid, i = str(uuid.UUID(int=rng.getrandbits(128))), 0
    parts = [_dumps({"sessionId": sid, "projectHash": "ab" * 32, "startTime": _ts(rng, day, 0), "kind": "main"}) + "\n",
             _dumps({"$set": {"messages": [{"id": "ctx", "type": "user",
                                            "content": [{"text": "<session_context>\n" + text(800)}]}]}}) + "\n"]
    size = sum(len(p) for p in parts)
    while size < target:
        i += 1
        rid, call = f"g{i}", f"run_shell_command_{i}"
        out = text(min(int(rng.paretovariate(1.2) * 800), 50000))
        tokens = {"input": rng.randrange(2000, 90000), "output": 40, "cached": 1000, "thoughts": 10, "tool": 0,
                  "total": 0}
        record = {"id": rid, "timestamp": _ts(rng, day, i), "type": "gemini", "content": "", "tokens": tokens,
                  "model": "gemini-2.5-pro"}
        done = {**record, "toolCalls": [{"id": call, "name": "run_shell_command", "args": {"command": text(40)},
                                         "result": [{"functionResponse": {"id": call, "name": "run_shell_command",
                                                                          "response": {"output": out}}}],
                                         "status": "success"}]}
        chunk = "\n".join(_dumps(x) for x in (
            {"id": f"u{i}", "timestamp": _ts(rng, day, i), "type": "user", "content": [{"text": text(200)}]},
            record, {"$set": {"lastUpdated": _ts(rng, day, i)}}, done,
            {"id": f"r{i}", "type": "user", "content": [{"functionResponse": {"id": call, "name": "run_shell_command",
                                                                              "response": {"output": out}}}]})) + "\n"
        parts.append(chunk)
        size += len(chunk.encode())
    return sid, "".join(parts)


def generate(root, total_bytes, seed=7):
    """Write about `total_bytes` of sessions under root/{claude,codex,gemini}; return (homes, bytes)."""
    rng = random.Random(seed)
    text = Text(rng)
    homes = {name: os.path.join(root, name) for name in ("claude", "codex", "gemini")}
    written, n = 0, 0
    while written < total_bytes:
        n += 1
        target = min(int(rng.lognormvariate(13, 1.2)), 40 << 20, max(total_bytes - written, 20000))
        pick = rng.random()
        day = 1 + n % 28
        if pick < 0.6:
            sid, data = claude_session(rng, text, target, day)
            path = os.path.join(homes["claude"], "projects", f"-work-p{n % 20}", f"{sid}.jsonl")
        elif pick < 0.85:
            sid, data = codex_session(rng, text, target, day)
            path = os.path.join(homes["codex"], "sessions", "2026", "11", f"{day:02d}",
                                f"rollout-2026-11-{day:02d}-{sid}.jsonl")
        else:
            sid, data = gemini_session(rng, text, target, day)
            path = os.path.join(homes["gemini"], "tmp", f"proj{n % 10}", "chats",
                                f"session-2026-11-{day:02d}T10-00-{sid[:8]}.jsonl")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        raw = data.encode()
        with open(path, "wb") as f:
            f.write(raw)
        written += len(raw)
    return homes, written


def append_claude(path, rng, text, nbytes):
    """Append about `nbytes` of one more Claude Code exchange to an existing session file."""
    with open(path, "rb") as f:
        first = json.loads(f.readline())
    sid, data = claude_session(rng, text, nbytes, 28)
    data = data.replace(sid, first.get("sessionId", sid)).encode()
    with open(path, "ab") as f:
        f.write(data)
    return len(data)


def prepare(root, size_mb):
    """Generate `size_mb` of history under root/history and point relay at it (RELAY_*_HOME, and
    a fresh RELAY_HOME under root/relay-home so every run starts from a cold index); (homes, bytes)."""
    import shutil
    import time

    t0 = time.perf_counter()
    homes, total = generate(os.path.join(root, "history"), size_mb << 20)
    print(f"generated {total / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s under {root}")
    shutil.rmtree(os.path.join(root, "relay-home"), ignore_errors=True)
    os.sync()       # so the generator's writeback does not compete with what is measured
    os.environ.update(RELAY_CLAUDE_HOME=homes["claude"], RELAY_CODEX_HOME=homes["codex"],
                      RELAY_GEMINI_HOME=homes["gemini"], RELAY_HOME=os.path.join(root, "relay-home"))
    return homes, total
