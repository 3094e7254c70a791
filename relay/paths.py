"""Where relay keeps and finds things; the only module that knows (the data dir's rule itself is
relay.datadir's, as strings, for the status line that loads no pathlib).

The data dir is RELAY_HOME, else the platform's user data dir. Run from a built artifact (the
PyInstaller binary or the .pyz), a relative RELAY_HOME (RELAY_HOME=./relay-data) is taken beside
the artifact, and a `relay-data/` folder beside it is used without any setting: portable use from
a USB stick keeps the database, config and caches on the stick. The CLIs' own homes are not
relay's places: relay.clients knows them.
templates/ and static/ sit beside the package in a source checkout, in <prefix>/share/relay after
`pip install .`, and inside the unpack dir of a PyInstaller build (sys._MEIPASS); a zipapp
extracts them once to a cache dir (see resource_dir).
"""
import os
import stat
import sys
from pathlib import Path

from relay import __version__, datadir
from relay.errors import RelayError

APP = datadir.APP
PORTABLE_DIR = datadir.PORTABLE_DIR
_UNSET = object()


def artifact_path():
    """The built file this process runs from (PyInstaller binary or zipapp); None from source or pip."""
    found = datadir.artifact_path()
    return None if found is None else Path(found)


def zipapp_archive():
    """The .pyz holding this module, or None when relay is not running from a zip archive."""
    found = datadir.zipapp_archive()
    return None if found is None else Path(found)


def data_dir(environ=None, artifact=_UNSET):
    """relay.datadir.data_dir as a Path."""
    return Path(datadir.data_dir(environ, artifact_path() if artifact is _UNSET else artifact))


def private_dir(path):
    """Create `path` (and missing parents) 0700, so other local users cannot read recorded
    traffic. An existing dir is left as it is: RELAY_HOME may point at a dir the user shares
    on purpose, and relay never changes permissions it did not set (the files it writes inside
    are 0600 anyway). The mode is set with chmod, not left to mkdir, because mkdir's mode goes
    through the umask (and parents=True would create the parents by the umask alone)."""
    path = Path(path)
    if path.is_dir():
        return path
    missing = []
    part = path
    while not part.is_dir():
        missing.append(part)
        if part.parent == part:
            break
        part = part.parent
    for part in reversed(missing):
        try:
            part.mkdir(mode=0o700)
        except FileExistsError:
            if not part.is_dir():
                raise
            continue    # another process made it first: it set the mode
        os.chmod(part, 0o700)
    return path


def own_private_dir(path):
    """A folder relay keeps inside the data dir (session-state/, cache/): created 0700, and
    narrowed to 0700 when it exists with a wider mode (an older relay made it by the umask).
    False when it belongs to another user: whatever is in it was not written by relay."""
    path = private_dir(path)
    info = path.lstat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return True


def open_private(path, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    """os.open() of a file relay writes, 0600 whatever the umask: a new file is created 0600
    (O_CREAT's mode also goes through the umask, which can only narrow it) and a file that
    exists with a wider mode is narrowed through its descriptor."""
    fd = os.open(path, flags, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077 and hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
    except OSError:
        pass    # not ours to change (another user's file on a shared mount)
    return fd


def db_path(environ=None):
    return Path(datadir.database(environ))


def pid_path(environ=None):
    """`relay serve`'s pid file (relay init and doctor read it)."""
    return data_dir(environ) / "relay.pid"


def lock_path(environ=None):
    """The data dir's flock target: held (shared) by every relay serving from it, holds no pid,
    stays on disk (relay.web.server.claim_data_dir)."""
    return data_dir(environ) / "relay.lock"


def config_path(environ=None):
    return Path(datadir.config_file(environ))


def self_command():
    """The argv that runs this relay again (`relay init` registers it with Claude Code and starts
    the server with it): the frozen binary, this checkout's relay.py, the zipapp, or -m relay."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    root = Path(__file__).resolve().parent.parent
    if (root / "relay.py").is_file():
        return [sys.executable, str(root / "relay.py")]
    if root.is_file():
        return [sys.executable, str(root)]
    return [sys.executable, "-m", "relay"]


def statusline_command():
    """The argv Claude Code runs as this relay's status line (`relay init --statusline`). From a
    directory (a pip install or a checkout): relay/statusline_entry.py under `-I -S`, which skips
    site-packages and its .pth files, most of a short process's start-up (see that module); on
    Python 3.10, without -S, as TOML then needs tomli from site-packages. A zipapp runs itself
    under the same flags; a frozen build is its own interpreter."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "statusline"]
    flags = ["-I", "-S"] if sys.version_info >= (3, 11) else ["-I"]
    root = Path(__file__).resolve().parent.parent
    if root.is_file():
        return [sys.executable, *flags, str(root), "statusline"]
    return [sys.executable, *flags, str(Path(__file__).resolve().parent / "statusline_entry.py")]


def resource_dir(name):
    """Absolute path of the top-level `templates` or `static` folder in every layout."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / name
    archive = zipapp_archive()
    if archive is not None:
        return _extract_from_zipapp(archive, name)
    here = Path(__file__).resolve().parent.parent
    if (here / "relay.py").is_file() and (here / name).is_dir():
        return here / name   # a checkout (or an editable install of one); never a stray site-packages/templates
    # Installed, the folders are data files under the install scheme's prefix: the venv or
    # sys.prefix, ~/.local for --user, the --prefix given. The package sits at
    # <prefix>/lib/pythonX.Y/site-packages/relay (<prefix>/Lib/site-packages/relay on Windows),
    # so the first ancestor holding share/relay/<name> is that prefix, whichever scheme it was.
    for prefix in (*here.parents, Path(sys.prefix)):
        candidate = prefix / "share" / APP / name
        if candidate.is_dir():
            return candidate
    raise RelayError(f"relay's {name}/ folder is missing beside {here}",
                     hint="reinstall relay (pip install .) or run it from a source checkout")


def _extract_from_zipapp(archive, name):
    # Jinja and send_from_directory need real files. The cache is keyed on the archive's size and
    # mtime, so a rebuilt .pyz never serves the templates of an older one; it is unpacked into a
    # private folder first and renamed into place, so two first runs at once cannot see half of it.
    import shutil
    import zipfile
    info = archive.stat()
    target = data_dir() / "cache" / f"resources-{__version__}-{info.st_size:x}-{int(info.st_mtime):x}"
    if not (target / name).is_dir():
        partial = target.with_name(f"{target.name}.{name}.{os.getpid()}")
        private_dir(partial)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(partial, [m for m in zf.namelist() if m.startswith(name + "/")])
        _make_private(partial)
        private_dir(target)
        try:
            os.rename(partial / name, target / name)
        except OSError:
            if not (target / name).is_dir():
                raise
        shutil.rmtree(partial, ignore_errors=True)
    return target / name


def _make_private(root):
    # zipfile creates what it extracts by the umask; relay's data dir holds nothing wider than 0700/0600.
    for folder, _dirs, files in os.walk(root):
        os.chmod(folder, 0o700)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o600)
