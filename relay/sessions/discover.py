"""Find the session files of each CLI and group them into sessions; stat them, read nothing.

A `Source` is one session: a stable `key`, its provider (the client's name: claude, codex,
gemini), a project name and its files with their stat (size, mtime_ns, inode), the main file
first. The layouts are in relay.clients; here:
  claude   the sidechains of a session are its files of role "subagent"
  gemini   files ending in the same session-id prefix are one session (a `--resume` leaves a
           stub file): the largest is "main", the others "alt" (tracked, not parsed)
Missing or unreadable directories yield nothing: a user may have only one of the CLIs.
"""
import os
from dataclasses import dataclass, field

from relay import clients
from relay.sessions.regular import is_regular

PROVIDERS = clients.NAMES


@dataclass
class SourceFile:
    path: str
    role: str              # main, subagent, alt
    size: int
    mtime_ns: int
    inode: int


@dataclass
class Source:
    provider: str
    key: str
    project: str = None
    files: list = field(default_factory=list)

    @property
    def main(self):
        return next((f for f in self.files if f.role == "main"), None)

    @property
    def newest_mtime_ns(self):
        return max((f.mtime_ns for f in self.files), default=0)

    @property
    def size(self):
        return sum(f.size for f in self.files)


def _entries(path):
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


def _is_file(entry):
    # A symlink loop (ELOOP) or a link to nowhere is not a session file; DirEntry raises for it.
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_dir(entry):
    try:
        return entry.is_dir()
    except OSError:
        return False


def _file(entry, role):
    try:
        st = entry.stat()
    except OSError:
        return None
    if not is_regular(st, entry.path):
        return None
    return SourceFile(path=entry.path, role=role, size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino)


def _add(source, entry, role):
    f = _file(entry, role)
    if f is not None:
        source.files.append(f)


def claude(environ=None):
    sources = []
    for project in _entries(clients.claude.session_root(environ)):
        if not _is_dir(project):
            continue
        groups = {}
        for entry in _entries(project.path):
            if entry.name.endswith(".jsonl") and _is_file(entry):
                stem = entry.name[:-6]
                _add(groups.setdefault(stem, Source("claude", f"claude:{stem}", project.name)), entry, "main")
            elif _is_dir(entry):
                subs = [e for e in _entries(os.path.join(entry.path, "subagents"))
                        if e.name.startswith("agent-") and e.name.endswith(".jsonl")]
                if subs:
                    source = groups.setdefault(entry.name, Source("claude", f"claude:{entry.name}", project.name))
                    for sub in sorted(subs, key=lambda e: e.name):
                        _add(source, sub, "subagent")
        for source in groups.values():
            source.files.sort(key=lambda f: f.role != "main")
            sources.append(source)
    return sources


def codex(environ=None):
    root = str(clients.codex.session_root(environ))
    sources, stack = [], [(root, 0)]
    while stack:
        directory, depth = stack.pop()
        for entry in _entries(directory):
            if _is_dir(entry):
                if depth < 3:
                    stack.append((entry.path, depth + 1))
            elif entry.name.startswith("rollout-") and entry.name.endswith(".jsonl"):
                source = Source("codex", "codex:" + os.path.relpath(entry.path, root).replace(os.sep, "/"))
                _add(source, entry, "main")
                if source.files:
                    sources.append(source)
    return sources


def gemini(environ=None):
    # short project name -> absolute cwd
    names = {name: cwd for cwd, name in clients.gemini.projects(environ).items()}
    sources = []
    for project in _entries(clients.gemini.session_root(environ)):
        groups = {}
        for entry in _entries(os.path.join(project.path, "chats")):
            stem, dot, ext = entry.name.rpartition(".")
            if not dot or ext not in ("jsonl", "json") or not _is_file(entry):
                continue
            # session-<YYYY-MM-DDTHH-MM>-<first 8 chars of sessionId>: the suffix names the session.
            suffix = stem.rsplit("-", 1)[-1] if stem.startswith("session-") else stem
            source = groups.setdefault(suffix, Source("gemini", f"gemini:{project.name}/{suffix}",
                                                      names.get(project.name, project.name)))
            _add(source, entry, "alt")
        for source in groups.values():
            if not source.files:
                continue
            source.files.sort(key=lambda f: (-f.size, f.path))
            source.files[0].role = "main"
            sources.append(source)
    return sources


_FINDERS = {"claude": claude, "codex": codex, "gemini": gemini}


def discover(providers=None, environ=None):
    """Every session of the given providers (all when None), in a stable order."""
    sources = []
    for provider in providers or PROVIDERS:
        sources.extend(_FINDERS[provider](environ))
    sources.sort(key=lambda s: s.key)
    return sources
