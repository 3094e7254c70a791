"""Which session file a running CLI is writing, from its cwd, its start time and its open files.

Layouts (see relay.clients):
  claude  the project dir of the cwd (clients.claude.project_dir)
  codex   the day dirs under the session root, a rollout whose first record (session_meta) has the cwd
  gemini  the chats/ dirs of the cwd (clients.gemini.chat_dirs)
A candidate must have been written since the process started: a CLI that has not written yet has
no session file, and the newest older file belongs to a previous run, so we answer None rather
than guess. Open files win over all of this when a CLI keeps its file open.
"""
import datetime
import json
import os

from relay import clients
from relay.sessions.regular import open_regular

# mtime resolution and clock skew between the process start and the first write.
SLACK_S = 2.0


def _files(directory, predicate):
    try:
        with os.scandir(directory) as it:
            out = []
            for e in it:
                if predicate(e.name):
                    try:
                        if e.is_file():
                            out.append((e.stat().st_mtime, e.path))
                    except OSError:
                        continue
            return out
    except OSError:
        return []


def _newest_since(candidates, started_at):
    fresh = [c for c in candidates if c[0] >= started_at - SLACK_S]
    return max(fresh)[1] if fresh else None


def _first_record(path):
    try:
        with open_regular(path) as f:
            return json.loads(f.readline(1 << 20) or b"null")
    except (OSError, ValueError):
        return None


def claude_id(path):
    return os.path.basename(path)[:-len(".jsonl")]


def codex_id(path):
    record = _first_record(path) or {}
    payload = record.get("payload") if isinstance(record, dict) else None
    if isinstance(payload, dict):
        return payload.get("id") or payload.get("session_id")
    return None


def gemini_id(path):
    record = _first_record(path)
    if isinstance(record, dict) and record.get("sessionId"):
        return record["sessionId"]
    return os.path.basename(path).rsplit(".", 1)[0]


def claude_file(cwd, started_at, environ=None):
    directory = clients.claude.project_dir(cwd, environ)
    return _newest_since(_files(directory, lambda n: n.endswith(".jsonl")), started_at)


def _codex_day_dirs(root, started_at):
    # Codex files a rollout under the local date it started; a process may span midnight.
    day = datetime.date.fromtimestamp(max(started_at, 0)) - datetime.timedelta(days=1)
    today = datetime.date.today()
    while day <= today:
        yield os.path.join(root, f"{day:%Y}", f"{day:%m}", f"{day:%d}")
        day += datetime.timedelta(days=1)


def codex_file(cwd, started_at, environ=None):
    root = clients.codex.session_root(environ)
    candidates = []
    for directory in _codex_day_dirs(root, started_at):
        candidates += _files(directory, lambda n: n.startswith("rollout-") and n.endswith(".jsonl"))
    fresh = sorted((c for c in candidates if c[0] >= started_at - SLACK_S), reverse=True)
    for _, path in fresh:
        record = _first_record(path) or {}
        payload = record.get("payload") if isinstance(record, dict) else None
        if isinstance(payload, dict) and payload.get("cwd") == cwd:
            return path
    return None


def gemini_file(cwd, started_at, environ=None):
    candidates = []
    for directory in clients.gemini.chat_dirs(cwd, environ):
        candidates += _files(directory, lambda n: n.startswith("session-") and n.endswith((".jsonl", ".json")))
    return _newest_since(candidates, started_at)


FINDERS = {"claude": (claude_file, claude_id), "codex": (codex_file, codex_id), "gemini": (gemini_file, gemini_id)}


def from_open_files(cli, open_paths, environ=None):
    root = os.path.join(str(clients.get(cli).session_root(environ)), "")
    hits = [p for p in open_paths if p.startswith(root) and p.endswith((".jsonl", ".json"))]
    return hits[-1] if hits else None


def session_for(cli, cwd, started_at, open_paths=(), environ=None):
    """(session_id, session_path) of the file this CLI process writes, or (None, None)."""
    find, ident = FINDERS[cli]
    path = from_open_files(cli, open_paths, environ)
    if path is None and cwd:
        path = find(cwd, started_at, environ)
    return (ident(path), path) if path else (None, None)
