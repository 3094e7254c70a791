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
# The newest published versions when these were last checked (`npm view <package> version`); the
# subscription-login tests run them too, and skip (with the reason) when they cannot be installed.
CLAUDE_CODE_LATEST = "2.1.337"
CODEX_LATEST = "0.171.0"
GEMINI_LATEST = "0.61.0"
CLAUDE_CODE_VERSIONS = tuple(dict.fromkeys((CLAUDE_CODE_VERSION, CLAUDE_CODE_LATEST)))
CODEX_VERSIONS = tuple(dict.fromkeys((CODEX_VERSION, CODEX_LATEST)))
GEMINI_VERSIONS = tuple(dict.fromkeys((GEMINI_VERSION, GEMINI_LATEST)))
INSTALL_TIMEOUT = 600

CLIENTS_DIR = Path(os.environ.get("RELAY_CLIENTS_DIR")
                   or Path(os.path.expanduser("~")) / ".cache" / "relay-ci" / "clients").resolve()
# Offline settings for Codex and Gemini CLI pointed at a relay: one provider block for Codex (its key
# from RELAY_TEST_OPENAI_KEY, no retries, no analytics), the API-key login for Gemini CLI, nothing
# sent home by either.
CODEX_CONFIG = """model = "gpt-5-codex"
model_provider = "relay"
approval_policy = "never"
sandbox_mode = "danger-full-access"

[model_providers.relay]
name = "relay"
base_url = "{base_url}"
env_key = "RELAY_TEST_OPENAI_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false
"""
GEMINI_SETTINGS = {"security": {"auth": {"selectedType": "gemini-api-key"}},
                   "privacy": {"usageStatisticsEnabled": False}, "telemetry": {"enabled": False},
                   "general": {"disableAutoUpdate": True, "disableUpdateNag": True}}
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


def _npm_install(directory, spec, optional=False):
    npm = shutil.which("npm", path=BASE_PATH)
    if npm is None:
        pytest.skip(f"npm is not installed: cannot install {spec} into {directory}")
    give_up = pytest.skip if optional else pytest.fail
    if not (directory / "package.json").exists():
        (directory / "package.json").write_text(json.dumps({"name": "relay-ci-clients", "private": True}) + "\n")
    cmd = [npm, "install", "--save-exact", "--no-audit", "--no-fund", "--loglevel=error", spec]
    try:
        done = subprocess.run(cmd, cwd=str(directory), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        give_up(f"`{' '.join(cmd)}` in {directory} took over {INSTALL_TIMEOUT} s")
    if done.returncode != 0:
        give_up(f"`{' '.join(cmd)}` in {directory} failed ({done.returncode}):\n{done.stderr[-4000:]}")


def _ensure(directory, package, version, name, optional=False):
    """Path to the `name` binary of package@version in `directory`, installed on first use;
    `optional` (a newest version, not a pinned one) skips the test when npm cannot install it."""
    path = _bin(directory, name)
    if path.exists() and _installed_version(directory, package) == version:
        return path
    with _install_lock(directory):
        # Another run may have installed it while this one waited for the lock.
        if not (path.exists() and _installed_version(directory, package) == version):
            _npm_install(directory, f"{package}@{version}", optional)
    if not path.exists():
        pytest.fail(f"npm installed {package}@{version} but {path} is missing")
    return path


def _versioned(subdir, pinned, version):
    """The pinned version keeps its historical dir; any other gets its own, so none disturbs another."""
    if version == pinned:
        return CLIENTS_DIR / subdir if subdir else CLIENTS_DIR
    return CLIENTS_DIR / f"{subdir or 'claude'}-{version}"


def claude_code(version=CLAUDE_CODE_VERSION):
    """Path to the `claude` binary of Claude Code `version` (CLAUDE_CODE_VERSION), installed on first use."""
    return _ensure(_versioned("", CLAUDE_CODE_VERSION, version), CLAUDE_CODE_PACKAGE, version, "claude",
                   optional=version != CLAUDE_CODE_VERSION)


def codex(version=CODEX_VERSION):
    """Path to `codex` (CODEX_VERSION), in its own subdir so its install never disturbs Claude Code's."""
    return _ensure(_versioned("codex", CODEX_VERSION, version), CODEX_PACKAGE, version, "codex",
                   optional=version != CODEX_VERSION)


def gemini(version=GEMINI_VERSION):
    """Path to `gemini` (GEMINI_VERSION), in its own subdir like codex()."""
    return _ensure(_versioned("gemini", GEMINI_VERSION, version), GEMINI_PACKAGE, version, "gemini",
                   optional=version != GEMINI_VERSION)


CCUSAGE_VERSION = "20.0.24"


def ccusage():
    """Path to ccusage CCUSAGE_VERSION (the reports' oracle) in the cache dir's sibling `ccusage/`,
    installed on first use; the test is skipped with the reason when npm cannot install it."""
    return _ensure(CLIENTS_DIR.parent / "ccusage", "ccusage", CCUSAGE_VERSION, "ccusage", optional=True)


RUN_TIMEOUT = 120


def run_cli(binary, home, workdir, args, extra_env, relay=None):
    """One offline run of a real CLI in `home`, from a project dir under `workdir`, with only PATH,
    HOME, TMPDIR, LANG and `extra_env`; its JSON event lines. A failed run shows the CLI's output,
    and relay's log when `relay` is given."""
    tmp, project = workdir / "tmp", workdir / "project"
    tmp.mkdir(parents=True, exist_ok=True)
    project.mkdir(exist_ok=True)
    env = {"PATH": os.pathsep.join([str(Path(binary).parent), BASE_PATH]), "HOME": str(home),
           "TMPDIR": str(tmp), "LANG": "C.UTF-8", **extra_env}
    done = subprocess.run([str(binary), *args], env=env, cwd=str(project), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    relay_log = f"\nrelay:\n{''.join(relay.stderr_lines)[-3000:]}" if relay is not None else ""
    assert done.returncode == 0, f"{Path(binary).name} exited {done.returncode}\nstdout:\n{done.stdout[-3000:]}\n" \
                                 f"stderr:\n{done.stderr[-3000:]}{relay_log}"
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip().startswith("{")]
