"""What this relay process runs on: its layout, its build commit, and which compiled parts loaded.

Layouts: "source" (a checkout, relay.py beside the package), "installed" (pip), "zipapp" (.pyz)
and "binary" (PyInstaller). A zipapp carries pure-Python packages only, since a compiled
extension built for one Python must not ride into another; there gevent, psutil and the MCP SDK
(its pydantic-core is compiled) may be missing. relay then serves with waitress, reads process
liveness from /proc and os.kill, and `relay mcp` is unavailable; startup and `relay doctor` say so.
Nothing here runs at import: `relay --version` and the doctor call in.
"""
import importlib.util
import sys
from pathlib import Path

from relay import __version__, paths


def layout():
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return "binary"
    if paths.zipapp_archive() is not None:
        return "zipapp"
    return "source" if (_source_root() / "relay.py").is_file() else "installed"


def _source_root():
    return Path(paths.__file__).resolve().parent.parent


def build_commit():
    """The commit a build was made from (written into relay/_build.py by build/build.sh); from a
    checkout, git's HEAD when git answers; else "source"."""
    try:
        from relay import _build  # optional: only a build writes it
        return _build.COMMIT
    except ImportError:
        pass
    if layout() != "source":
        return "unknown"
    import subprocess  # only `relay --version` and `relay doctor` ask, and only from a checkout
    try:
        done = subprocess.run(["git", "-C", str(_source_root()), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "source"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "source"


def version_line():
    return f"relay {__version__} (commit {build_commit()}, {layout()})"


def _loads(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _missing_reason(what):
    where = layout()
    if where == "zipapp":
        return f"{what} unavailable in zipapp"
    return f"{what} is not installed"


def server_mode():
    """("gevent" | "waitress", note) for what `relay serve` runs with by default."""
    if _loads("gevent"):
        return "gevent", "gevent"
    return "waitress", f"waitress ({_missing_reason('gevent')})"


def liveness_mode():
    if _loads("psutil"):
        return "psutil", "psutil"
    return "proc", f"/proc and os.kill ({_missing_reason('psutil')}: process command lines only where /proc exists)"


def mcp_mode():
    if _loads("mcp") and _loads("pydantic_core"):
        try:
            import pydantic_core  # noqa: F401  (the compiled part: found is not enough, it must load)
            return "available", "available"
        except ImportError as exc:
            return "unavailable", f"the MCP SDK's pydantic-core does not load here: {exc}"
    if layout() == "zipapp":
        return "unavailable", ("unavailable in zipapp (the MCP SDK needs pydantic-core, a compiled extension); "
                               "use the binary or pip install relay")
    return "unavailable", "the mcp package is not installed (pip install 'mcp>=2.3,<3')"


def describe():
    """One dict for doctor and the serve banner: every mode with its human note."""
    server, server_note = server_mode()
    liveness, liveness_note = liveness_mode()
    mcp, mcp_note = mcp_mode()
    return {"version": __version__, "commit": build_commit(), "layout": layout(), "python": sys.version.split()[0],
            "server": server, "server_note": server_note, "liveness": liveness, "liveness_note": liveness_note,
            "mcp": mcp, "mcp_note": mcp_note, "data_dir": str(paths.data_dir())}
