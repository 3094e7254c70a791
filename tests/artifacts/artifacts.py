"""The built artifacts for the smoke tests: built once per source hash and cached, plus a root
directory for the binary that holds no Python at all.

The cache lives under ~/.cache/relay-ci (RELAY_CI_CACHE moves it). A root made with debootstrap
needs a Debian mirror and minutes; this root is made instead from exactly what the binary maps
into memory while it serves (its own file, and the system libraries listed in /proc/PID/maps of
the bootloader and of the Python process it starts), so anything not in that list, a Python
included, cannot be used by it.
"""
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Resolved at import, before conftest points HOME at a temp dir: the cache must outlive the test.
CACHE = Path(os.environ.get("RELAY_CI_CACHE") or Path(os.path.expanduser("~")) / ".cache" / "relay-ci").resolve()
SOURCES = ("relay", "relay.py", "templates", "static", "build", "requirements.txt", "requirements-dev.txt")


def source_hash():
    digest = hashlib.sha256()
    for top in SOURCES:
        base = ROOT / top
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for f in files:
            rel = f.relative_to(ROOT).as_posix()
            if "__pycache__" in rel or rel.startswith("build/out/") or rel == "relay/_build.py":
                continue
            digest.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build(env):
    """dist dir with `relay` and `relay.pyz` for the current sources, built by build/build.sh once."""
    import fcntl
    dist = CACHE / f"artifacts-{source_hash()}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # parallel test runs share the build venv
        return _build_locked(dist, env)


def _build_locked(dist, env):
    if not ((dist / "relay").is_file() and (dist / "relay.pyz").is_file()):
        shutil.rmtree(dist, ignore_errors=True)
        done = subprocess.run([str(ROOT / "build" / "build.sh")], cwd=str(ROOT), capture_output=True, text=True,
                              env={**env, "RELAY_DIST": str(dist), "RELAY_CI_CACHE": str(CACHE)}, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"build/build.sh failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        # every source change makes a new build (about 21 MB): keep the three newest
        older = sorted(CACHE.glob("artifacts-*"), key=lambda p: p.stat().st_mtime, reverse=True)[3:]
        for stale in older:
            shutil.rmtree(stale, ignore_errors=True)
    return dist


def mapped_files(pid):
    """Files a live process (and its children) has mapped: the binary and its shared libraries."""
    found = set()
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            for line in Path(f"/proc/{p}/maps").read_text().splitlines():
                parts = line.split(None, 5)
                if len(parts) == 6 and parts[5].startswith("/"):
                    found.add(parts[5])
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        pids.extend(int(c) for c in children)
    return found


def make_root(binary, mapped, where):
    """A directory with the binary, the system libraries it mapped, /tmp and nothing else."""
    shutil.rmtree(where, ignore_errors=True)
    (where / "tmp").mkdir(parents=True)
    os.chmod(where / "tmp", 0o1777)
    shutil.copy2(binary, where / "relay")
    for lib in sorted(mapped):
        if "/_MEI" in lib or lib.startswith("/tmp/") or ".so" not in lib or not Path(lib).is_file():
            continue  # the binary's own unpacked files come from the binary itself
        target = where / lib.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lib, target)
        # maps name the real file (libz.so.1.2.13); the loader asks for the soname (libz.so.1)
        soname = re.match(r"(.+?\.so\.\d+)", target.name)
        if soname and soname.group(1) != target.name and not (target.parent / soname.group(1)).exists():
            os.symlink(target.name, target.parent / soname.group(1))
    # the loader is found through the path the binary names (/lib64/ld-linux-x86-64.so.2)
    loader = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    for token in loader.split():
        if token.startswith("/") and "ld-linux" in token and not (where / token.lstrip("/")).exists():
            (where / token.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(os.path.realpath(token), where / token.lstrip("/"))
    return where


def pythons():
    """Interpreters from 3.10 up found on this machine (python3.N on PATH, or pyenv's)."""
    found = {}
    for minor in range(10, 14):
        name = f"python3.{minor}"
        pyenv = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
        candidates = sorted(str(p) for p in pyenv.glob(f"3.{minor}.*/bin/python3")) + [shutil.which(name)]
        for c in candidates:
            # a pyenv shim exists on PATH for versions it will not run: ask the interpreter itself
            if c and subprocess.run([c, "-c", f"import sys; assert sys.version_info[:2] == (3, {minor})"],
                                    capture_output=True).returncode == 0:
                found[f"3.{minor}"] = c
                break
    return found


def debian_root():
    """(root, None): a Debian bookworm minbase root made by debootstrap (no Python in it), cached
    in CACHE/bookworm-minbase; or (None, reason) when it cannot be made here."""
    import fcntl
    root = CACHE / "bookworm-minbase"
    if (root / "etc" / "debian_version").is_file():
        return root, None
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not os.access(debootstrap, os.X_OK):
        return None, "debootstrap is not installed (.ci/run installs it)"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "debootstrap.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / "etc" / "debian_version").is_file():
            return root, None
        partial = root.with_name(root.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        mirror = os.environ.get("RELAY_DEBIAN_MIRROR", "http://deb.debian.org/debian")
        done = subprocess.run([debootstrap, "--variant=minbase", "bookworm", str(partial), mirror],
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            return None, f"debootstrap failed (mirror {mirror}): {done.stdout[-500:]} {done.stderr[-500:]}"
        os.rename(partial, root)
    return root, None
