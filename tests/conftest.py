"""Every test runs with HOME, RELAY_HOME and the three CLI homes in a temp dir: the real
~/.claude, ~/.codex and ~/.gemini are never read or written."""
import os
import re
import sys
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
REQUESTS = DATA / "requests"   # request bodies recorded from the real CLIs (recorded facts, kept with the tests)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_ISOLATED = ("HOME", "RELAY_HOME", "RELAY_CLAUDE_HOME", "RELAY_CODEX_HOME", "RELAY_GEMINI_HOME", "XDG_DATA_HOME")
_LEAKY = ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OPENAI_BASE_URL", "OPENAI_API_KEY",
          "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL", "CODEX_HOME")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("RELAY_HOME", str(tmp_path / "relay-home"))
    monkeypatch.setenv("RELAY_CLAUDE_HOME", str(home / ".claude"))
    monkeypatch.setenv("RELAY_CODEX_HOME", str(home / ".codex"))
    monkeypatch.setenv("RELAY_GEMINI_HOME", str(home / ".gemini"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    for name in _LEAKY:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("RELAY_") and name not in _ISOLATED:
            monkeypatch.delenv(name)
    return home


from tests.pg_server import pg_cluster, pg_fresh_url, pg_module_url, pg_url  # noqa: E402,F401  (fixtures for the whole suite)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, isolated_home, monkeypatch):
    """Run a test on SQLite, then on a throwaway PostgreSQL (skipped with the reason where the
    server or psycopg is not installed): RELAY_DATABASE_URL reaches the `store` fixture and every
    relay process the test starts. A module takes it with `pytestmark =
    pytest.mark.usefixtures("backend")`; the PostgreSQL database is the module's, emptied per test."""
    if request.param == "postgres":
        monkeypatch.setenv("RELAY_DATABASE_URL", request.getfixturevalue("pg_fresh_url"))
    return request.param


@pytest.fixture(params=["sqlite", "postgres"])
def backend_store(request, isolated_home):
    """A started-less Store on SQLite, then on a throwaway PostgreSQL database (skipped with the
    reason when the server or psycopg is not installed): tests of the store and its queries take
    this to run against both backends."""
    from relay import paths
    from relay.store import Store

    if request.param == "postgres":
        s = Store(paths.db_path(), url=request.getfixturevalue("pg_url"))
    else:
        s = Store(paths.db_path())
    yield s
    s.close()


@pytest.fixture
def store(isolated_home):
    """relay's database at the isolated RELAY_HOME (on PostgreSQL under the `backend` fixture's
    second run), closed after the test."""
    from relay import paths
    from relay.store import Store

    s = Store(paths.db_path(), url=os.environ.get("RELAY_DATABASE_URL"))   # set by `backend`, if used
    yield s
    s.close()


# --- secrets: nothing a test sent as a credential may end up in relay's data or logs -------------
# Credentials used anywhere in the suite start with one of these; the check runs once, after the
# whole run, over every relay data dir (a dir holding relay.db) under pytest's temp root and over
# the stderr of every relay process the tests started. A hit fails the run.
# Subscription logins: Claude OAuth bearers and refresh tokens (sk-ant-oat / sk-ant-ort), ChatGPT
# JWTs (every JWT header starts {"alg", base64 "eyJhbGciOi"), Google access tokens (ya29.).
SECRET_NEEDLES = (b"sk-ant-api03-", b"sk-ant-test", b"sk-ant-oat", b"sk-ant-ort", b"sk-proj-", b"relay-test-secret",
                  b"eyJhbGciOi", b"ya29.")
# Google API keys have no test prefix of their own: any key shaped like one (AIza and 20+ key
# characters; random bytes practically never are) counts.
SECRET_SHAPES = (re.compile(rb"AIza[0-9A-Za-z_-]{20,}"),)


def _needles_in(data, needles=SECRET_NEEDLES, shapes=SECRET_SHAPES):
    found = [n.decode() for n in needles if n in data]
    return found + [m.group().decode()[:8] + "..." for shape in shapes for m in [shape.search(data)] if m]


def _secret_hits(root, needles=SECRET_NEEDLES, shapes=SECRET_SHAPES):
    import sqlite3
    import zlib
    hits = []
    for db in root.rglob("relay.db"):
        for path in db.parent.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                hits += [f"{path}: {n}" for n in _needles_in(data, needles, shapes)]
        try:   # history blobs are zlib-compressed inside the database
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        if isinstance(value, bytes):
                            try:
                                value = zlib.decompress(value)
                            except zlib.error:
                                pass
                            hits += [f"{db} {table} (blob): {n}" for n in _needles_in(value, needles, shapes)]
            conn.close()
        except sqlite3.Error:
            pass
    return hits


# --- processes: a test that starts a process stops it ---------------------------------------------
# After the run, any process still alive that the run started fails it: a descendant of pytest, or a
# detached one (relay init's server, a daemon that double-forked) whose cwd or home lies in the
# run's temp root. Each is named, then killed so it does not outlive the run.
_LEAK_GRACE = 3.0   # seconds for processes already told to stop (terminate, then wait) to go
# Python's own helpers live as long as the interpreter that started them, by design.
_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def _cmdline(proc):
    try:
        return " ".join(proc.cmdline()) or proc.name()
    except psutil.Error:
        return "?"


def _lives_in(proc, root):
    try:
        places = [proc.cwd(), *(v for k, v in proc.environ().items() if k in _ISOLATED)]
    except psutil.Error:
        return False
    return any(place == str(root) or place.startswith(str(root) + os.sep) for place in places)


def _leftover_processes(root):
    me = psutil.Process()
    found = {p.pid: p for p in me.children(recursive=True)}
    if root is not None:
        found.update((p.pid, p) for p in psutil.process_iter() if p.pid != me.pid and _lives_in(p, root))
    candidates = [p for p in found.values() if not any(h in _cmdline(p) for h in _HELPERS)]
    _, alive = psutil.wait_procs(candidates, timeout=_LEAK_GRACE)
    leaks = []
    for proc in alive:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            leaks.append(f"pid {proc.pid}: {_cmdline(proc)[:300]}")
            proc.kill()
        except psutil.Error:
            continue
    return leaks


def pytest_sessionfinish(session, exitstatus):
    # Under xdist each worker checks its own children; the controller's children are the workers.
    worker = getattr(session.config, "workerinput", None) is not None
    if worker or not session.config.pluginmanager.hasplugin("dsession"):
        _check_processes(session)
    _check_secrets(session)


def _check_processes(session):
    factory = getattr(session.config, "_tmp_path_factory", None)
    try:
        root = factory.getbasetemp() if factory is not None else None
    except (OSError, ValueError):
        root = None
    leaks = _leftover_processes(root)
    if leaks:
        print("\nPROCESSES LEFT RUNNING by the tests (killed now):\n  " + "\n  ".join(leaks))
        session.exitstatus = 1


def _check_secrets(session):
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or getattr(session.config, "workerinput", None) is not None:
        return
    try:
        root = factory.getbasetemp()
    except (OSError, ValueError):
        return
    from tests.relay_process import RelayProcess
    hits = _secret_hits(root)
    logs = "".join(RelayProcess.all_stderr).encode("utf-8", "replace")
    hits += [f"relay stderr: {n}" for n in _needles_in(logs)]
    if hits:
        print("\nSECRETS FOUND in relay's data or logs:\n  " + "\n  ".join(sorted(set(hits))[:50]))
        session.exitstatus = 1

