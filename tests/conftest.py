"""Every test runs with HOME, RELAY_HOME and the three CLI homes in a temp dir: the real
~/.claude, ~/.codex and ~/.gemini are never read or written."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
DATA = Path(__file__).resolve().parent / "data"
REQUESTS = DATA / "requests"   # request bodies recorded from the real CLIs (copied from ../shared/fixtures)
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
