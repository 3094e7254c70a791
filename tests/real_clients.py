"""The real AI coding CLIs, installed from npm once per machine into a cache dir (see
../shared/REAL-CLIENTS.md "How a test suite can run these clients").

The cache dir is `RELAY_CLIENTS_DIR`, else the real user's ~/.cache/relay-ci/clients. Both are read
here, at import: tests/conftest.py replaces HOME (and strips RELAY_* variables) for every test, and
the cache must survive that, so it is resolved before any test runs.
"""
import json
import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code"
CLAUDE_CODE_VERSION = "2.1.330"
CODEX_PACKAGE = "@openai/codex"
CODEX_VERSION = "0.169.0"
GEMINI_PACKAGE = "@google/gemini-cli"
GEMINI_VERSION = "0.61.0"
INSTALL_TIMEOUT = 600

CLIENTS_DIR = Path(os.environ.get("RELAY_CLIENTS_DIR")
                   or Path(os.path.expanduser("~")) / ".cache" / "relay-ci" / "clients").resolve()
# PATH as the test process started with it (node and npm live there); used for the CLIs' minimal env.
BASE_PATH = os.environ.get("PATH", os.defpath)


@contextmanager
def _install_lock(directory):
    """An exclusive lock on the cache dir, so parallel test runs do not install over each other."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".install.lock", "w") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, installs are rare and npm is mostly idempotent
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _installed_version(directory, package):
    manifest = directory / "node_modules" / package / "package.json"
    try:
        return json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def _bin(directory, name):
    return directory / "node_modules" / ".bin" / (name + (".cmd" if os.name == "nt" else ""))


def _npm_install(directory, spec):
    npm = shutil.which("npm", path=BASE_PATH)
    if npm is None:
        pytest.skip(f"npm is not installed: cannot install {spec} into {directory}")
    if not (directory / "package.json").exists():
        (directory / "package.json").write_text(json.dumps({"name": "relay-ci-clients", "private": True}) + "\n")
    cmd = [npm, "install", "--save-exact", "--no-audit", "--no-fund", "--loglevel=error", spec]
    try:
        done = subprocess.run(cmd, cwd=str(directory), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(cmd)}` in {directory} took over {INSTALL_TIMEOUT} s")
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` in {directory} failed ({done.returncode}):\n{done.stderr[-4000:]}")


def _ensure(directory, package, version, name):
    """Path to the `name` binary of package@version in `directory`, installed on first use."""
    path = _bin(directory, name)
    if path.exists() and _installed_version(directory, package) == version:
        return path
    with _install_lock(directory):
        # Another run may have installed it while this one waited for the lock.
        if not (path.exists() and _installed_version(directory, package) == version):
            _npm_install(directory, f"{package}@{version}")
    if not path.exists():
        pytest.fail(f"npm installed {package}@{version} but {path} is missing")
    return path


def claude_code():
    """Path to the `claude` binary of Claude Code CLAUDE_CODE_VERSION, installed on first use."""
    return _ensure(CLIENTS_DIR, CLAUDE_CODE_PACKAGE, CLAUDE_CODE_VERSION, "claude")


def codex():
    """Path to `codex` (CODEX_VERSION), in its own subdir so its install never disturbs Claude Code's."""
    return _ensure(CLIENTS_DIR / "codex", CODEX_PACKAGE, CODEX_VERSION, "codex")


def gemini():
    """Path to `gemini` (GEMINI_VERSION), in its own subdir like codex()."""
    return _ensure(CLIENTS_DIR / "gemini", GEMINI_PACKAGE, GEMINI_VERSION, "gemini")
