"""Where relay's data dir is, as a plain string: the one place that decides it (relay.paths wraps
it in a Path for everyone else). A leaf without pathlib, because pathlib loads re, fnmatch and
urllib.parse (about a fifth of `relay statusline`'s start-up), and the status line, config.toml and
the price overrides only need a folder name. See relay.paths for the rules.
"""
import os
import sys

APP = "relay"
PORTABLE_DIR = "relay-data"
_UNSET = object()


def artifact_path():
    """The built file this process runs from (PyInstaller binary or zipapp); None from source or pip."""
    if getattr(sys, "frozen", False):
        return os.path.realpath(sys.executable)
    return zipapp_archive()


def zipapp_archive():
    """The .pyz holding this module, or None when relay is not running from a zip archive."""
    archive = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isfile(archive):
        return None
    import zipfile  # with shutil, ~4 ms a short `relay statusline` from a directory does not need
    return os.path.realpath(archive) if zipfile.is_zipfile(archive) else None


def data_dir(environ=None, artifact=_UNSET):
    env = os.environ if environ is None else environ
    artifact = artifact_path() if artifact is _UNSET else artifact
    if env.get("RELAY_HOME"):
        chosen = os.path.expanduser(env["RELAY_HOME"])
        if artifact is not None and not os.path.isabs(chosen):
            return os.path.join(os.path.dirname(artifact), chosen)   # portable: beside the artifact, not the cwd
        return chosen
    if artifact is not None and os.path.isdir(os.path.join(os.path.dirname(artifact), PORTABLE_DIR)):
        return os.path.join(os.path.dirname(artifact), PORTABLE_DIR)
    home = env.get("HOME") or os.path.expanduser("~")
    if sys.platform == "win32":
        return os.path.join(env.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local"), APP)
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", APP)
    return os.path.join(env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share"), APP)


def config_file(environ=None):
    """config.toml in the data dir (relay.paths.config_path as a string)."""
    return os.path.join(data_dir(environ), "config.toml")


def database(environ=None):
    """relay.db in the data dir (relay.paths.db_path as a string)."""
    return os.path.join(data_dir(environ), "relay.db")
