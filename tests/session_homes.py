"""Lay the recorded session files out the way each CLI writes them, under the temp CLI homes
that tests/conftest.py sets (RELAY_CLAUDE_HOME, RELAY_CODEX_HOME, RELAY_GEMINI_HOME)."""
import json
import os
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "sessions"


def _session_id(path):
    first = json.loads(path.read_bytes().splitlines()[0])
    return first.get("sessionId") or first["payload"]["id"]


def grow(path, size=1 << 20):
    """Append one long user prompt to a Claude Code session so the file reaches `size` bytes: the
    usage pass keeps a resumable state only for files of at least 1 MB (relay.sessions.worker)."""
    lines = [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    last = lines[-1]
    prompt = next(entry for entry in reversed(lines) if entry.get("type") == "user")
    pad = max(0, size - path.stat().st_size)
    entry = dict(prompt, uuid="grown-0001", parentUuid=last.get("uuid"), timestamp=last.get("timestamp"),
                 message={"role": "user", "content": "padding " * (pad // 8 + 1)})
    with open(path, "a") as out:
        out.write(json.dumps(entry) + "\n")
    return path


def _copy(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def populate(environ=None):
    """Copy the fixtures into the CLI homes; returns {name: path} of what was written."""
    env = os.environ if environ is None else environ
    claude, codex, gemini = (Path(env[k]) for k in ("RELAY_CLAUDE_HOME", "RELAY_CODEX_HOME", "RELAY_GEMINI_HOME"))
    out = {}
    for name, project in (("session-text-resume-compact", "-scratch-work1"), ("session-tool-bash", "-scratch-work2"),
                          ("session-agent-parent", "-scratch-work10")):
        src = DATA / "claude" / f"{name}.jsonl"
        out[name] = _copy(src, claude / "projects" / project / f"{_session_id(src)}.jsonl")
    parent = out["session-agent-parent"]
    out["subagent"] = _copy(DATA / "claude" / "agent-a96acca0d5dba28f4.jsonl",
                            parent.with_suffix("") / "subagents" / "agent-a96acca0d5dba28f4.jsonl")
    for name, stamp in (("rollout-text-then-resume", "2026-11-22T14-52-28"),
                        ("rollout-tool-exec_command", "2026-11-22T14-52-38")):
        src = DATA / "codex" / f"{name}.jsonl"
        out[name] = _copy(src, codex / "sessions" / "2026" / "11" / "22" / f"rollout-{stamp}-{_session_id(src)}.jsonl")
    chats = gemini / "tmp" / "work5" / "chats"
    out["session-text-then-resume"] = _copy(DATA / "gemini" / "session-text-then-resume.jsonl",
                                            chats / "session-2026-11-22T14-55-d8aecb06.jsonl")
    out["session-resume-stub"] = _copy(DATA / "gemini" / "session-resume-stub.jsonl",
                                       chats / "session-2026-11-22T14-59-d8aecb06.jsonl")
    out["session-tool-run_shell_command"] = _copy(
        DATA / "gemini" / "session-tool-run_shell_command.jsonl",
        gemini / "tmp" / "work6" / "chats" / "session-2026-11-22T14-55-fe5694d2.jsonl")
    out["legacy-chat"] = _copy(DATA / "gemini" / "legacy-chat.json",
                               gemini / "tmp" / "0f1e2d3c" / "chats" / "session-2025-06-01T10-00-fe5694d2.json")
    (gemini / "projects.json").write_text(json.dumps({"projects": {"/scratch/work5": "work5"}}))
    return out
