"""Claude Code session files with hand-chosen usage, written where the CLI writes them."""
import json
import os
from pathlib import Path


def assistant(mid, rid, ts, model, text="ok", usage=None, session="sess-a", cwd="/w/alpha"):
    return {"type": "assistant", "uuid": f"u-{mid}-{text}", "parentUuid": None, "timestamp": ts, "sessionId": session,
            "cwd": cwd, "requestId": rid,
            "message": {"id": mid, "type": "message", "role": "assistant", "model": model,
                        "content": [{"type": "text", "text": text}], "usage": usage}}


def user(ts, text="go", session="sess-a", cwd="/w/alpha"):
    return {"type": "user", "uuid": f"u-user-{ts}", "parentUuid": None, "timestamp": ts, "sessionId": session,
            "cwd": cwd, "message": {"role": "user", "content": text}}


def usage(inp=0, out=0, w5m=0, w1h=0, read=0, lump=None):
    return {"input_tokens": inp, "output_tokens": out, "cache_read_input_tokens": read,
            "cache_creation_input_tokens": w5m + w1h if lump is None else lump,
            **({"cache_creation": {"ephemeral_5m_input_tokens": w5m, "ephemeral_1h_input_tokens": w1h}}
               if lump is None else {})}


HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-5"
M1 = usage(1000, 2000, w5m=1000, w1h=2000, read=10_000)
M4 = assistant("msg-4", "req-4", "2026-11-21T01:00:00.000Z", SONNET, usage=usage(1000))


def session_a():
    return [user("2026-11-20T10:14:00.000Z"),
            # one message written on three lines, each repeating the usage: counted once
            assistant("msg-1", "req-1", "2026-11-20T10:15:00.000Z", HAIKU, "a", M1),
            assistant("msg-1", "req-1", "2026-11-20T10:15:00.500Z", HAIKU, "b", M1),
            assistant("msg-1", "req-1", "2026-11-20T10:15:01.000Z", HAIKU, "c", M1),
            user("2026-11-20T11:59:00.000Z"),
            assistant("msg-2", "req-2", "2026-11-20T12:00:00.000Z", SONNET, usage=usage(100, 1000)),
            user("2026-11-20T18:29:00.000Z"),
            # a lump without the 5m/1h split: priced at 5m, counted as an estimated TTL
            assistant("msg-3", "req-3", "2026-11-20T18:30:00.000Z", HAIKU, usage=usage(500, 100, lump=400)),
            user("2026-11-21T00:59:00.000Z"), M4]


def session_b():
    # a resumed session: its file starts with a copy of msg-4, then one new message
    copy = dict(M4, sessionId="sess-b")
    return [copy, user("2026-12-01T08:59:00.000Z", session="sess-b"),
            assistant("msg-5", "req-5", "2026-12-01T09:00:00.000Z", HAIKU, usage=usage(10_000), session="sess-b")]


def write(name, lines, project="-w-alpha"):
    path = Path(os.environ["RELAY_CLAUDE_HOME"]) / "projects" / project / f"{name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path
