"""Every test runs with HOME, RELAY_HOME and the three CLI homes in a temp dir: the real
~/.claude, ~/.codex and ~/.gemini are never read or written."""
import os
import sys
from pathlib import Path

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


@pytest.fixture
def store(isolated_home):
    """relay's database at the isolated RELAY_HOME, closed after the test."""
    from relay import paths
    from relay.store import Store

    s = Store(paths.db_path())
    yield s
    s.close()


# --- secrets: nothing a test sent as a credential may end up in relay's data or logs -------------
# Credentials used anywhere in the suite start with one of these; the check runs once, after the
# whole run, over every relay data dir (a dir holding relay.db) under pytest's temp root and over
# the stderr of every relay process the tests started. A hit fails the run.
SECRET_NEEDLES = (b"sk-ant-api03-", b"sk-ant-test", b"sk-ant-oat", b"sk-proj-", b"relay-test-secret")


def _secret_hits(root):
    import sqlite3
    import zlib
    hits = []
    for db in root.rglob("relay.db"):
        for path in db.parent.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                hits += [f"{path}: {n.decode()}" for n in SECRET_NEEDLES if n in data]
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
                            hits += [f"{db} {table} (blob): {n.decode()}" for n in SECRET_NEEDLES if n in value]
            conn.close()
        except sqlite3.Error:
            pass
    return hits


def pytest_sessionfinish(session, exitstatus):
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
    hits += [f"relay stderr: {n.decode()}" for n in SECRET_NEEDLES if n in logs]
    if hits:
        print("\nSECRETS FOUND in relay's data or logs:\n  " + "\n  ".join(sorted(set(hits))[:50]))
        session.exitstatus = 1

