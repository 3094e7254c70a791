"""Where relay keeps and finds things; the only module that knows.

The data dir is RELAY_HOME, else the platform's user data dir. Session roots of the three CLIs
can be moved with RELAY_CLAUDE_HOME, RELAY_CODEX_HOME and RELAY_GEMINI_HOME (tests always do).
templates/ and static/ sit beside the package in a source checkout, in <prefix>/share/relay after
`pip install .`, and inside the unpack dir of a PyInstaller build (sys._MEIPASS); a zipapp
extracts them once to a cache dir (see resource_dir).
"""
import os
import sys
from pathlib import Path

APP = "relay"


def data_dir(environ=None):
    env = os.environ if environ is None else environ
    if env.get("RELAY_HOME"):
        return Path(env["RELAY_HOME"]).expanduser()
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / APP
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / APP
    return Path(env.get("XDG_DATA_HOME") or home / ".local" / "share") / APP


def private_dir(path):
    """Create `path` (and missing parents) 0700, so other local users cannot read recorded
    traffic. An existing dir is left as it is: RELAY_HOME may point at a dir the user shares
    on purpose, and relay never changes permissions it did not set (the files it writes inside
    are 0600 anyway)."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)   # the mode applies to the last part
    return path


def db_path(environ=None):
    return data_dir(environ) / "relay.db"


def config_path(environ=None):
    return data_dir(environ) / "config.toml"


def _cli_home(env_var, dotdir, environ):
    env = os.environ if environ is None else environ
    if env.get(env_var):
        return Path(env[env_var]).expanduser()
    return Path(env.get("HOME") or Path.home()) / dotdir


def claude_home(environ=None):
    return _cli_home("RELAY_CLAUDE_HOME", ".claude", environ)


def codex_home(environ=None):
    return _cli_home("RELAY_CODEX_HOME", ".codex", environ)


def gemini_home(environ=None):
    return _cli_home("RELAY_GEMINI_HOME", ".gemini", environ)


def resource_dir(name):
    """Absolute path of the top-level `templates` or `static` folder in every layout."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / name
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / name, Path(sys.prefix) / "share" / APP / name):
        if candidate.is_dir():
            return candidate
    return _extract_from_zipapp(name)


def _extract_from_zipapp(name):
    # Jinja and send_from_directory need real files; a zipapp is unpacked once per version.
    import zipfile
    from relay import __version__
    archive = Path(__file__).resolve().parent.parent
    if not zipfile.is_zipfile(archive):
        from relay.errors import RelayError
        raise RelayError(f"relay's {name}/ folder is missing beside {archive}",
                         hint="reinstall relay (pip install .) or run it from a source checkout")
    target = data_dir() / "cache" / f"resources-{__version__}"
    if not (target / name).is_dir():
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.namelist() if m.startswith(name + "/")]
            zf.extractall(target, members)
    return target / name
