"""Make dist/relay.pyz: relay plus its pure-Python dependencies, runnable by any Python 3.10+.

Dependencies are installed with `pip install --target` from wheels (`--only-binary=:all:`, so no
build step runs and no compiler is needed). Some of them ship compiled speedups that are optional
(markupsafe's _speedups, the mypyc builds of charset_normalizer and tomli): those are deleted, and each package
falls back to its Python code. Any other compiled file fails the build, because a .so built for
the build's Python must not be carried into another. gevent and psutil are left out for that
reason; relay serves with waitress and reads liveness from /proc instead (runtime.py says so).
Usage: python build/zipapp_build.py STAGE OUT.pyz
"""
import shutil
import subprocess
import sys
import zipapp
from pathlib import Path

PURE = ["flask>=3.0", "waitress>=3.0", "requests>=2.31", "jinja2>=3.1", "click>=8.1", "rich>=13.0", "tomli>=2.0"]


def _compiled(root):
    return [p for p in root.rglob("*") if p.suffix in (".so", ".pyd", ".dylib")]


def _is_optional(path, root):
    """True when the package still works without this compiled file: mypyc builds (tomli,
    charset_normalizer) ship each module's .py beside its .so plus a top-level `*__mypyc` blob;
    markupsafe's _speedups has markupsafe/_native.py."""
    rel = path.relative_to(root)
    module = path.name.split(".")[0]
    if (path.parent / f"{module}.py").is_file() or (path.parent / module / "__init__.py").is_file():
        return True
    if len(rel.parts) == 1 and module.endswith("__mypyc"):
        return True
    return rel.as_posix().startswith("markupsafe/_speedups.") and (root / "markupsafe" / "_native.py").is_file()


def build(stage, out):
    stage, out = Path(stage), Path(out)
    root = stage.parent / "pyz"
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                    "--only-binary=:all:", "--target", str(root), *PURE], check=True)
    for p in _compiled(root):
        if not _is_optional(p, root):
            raise SystemExit(f"zipapp: {p.relative_to(root)} is compiled and has no pure-Python fallback; "
                             "refusing to carry it")
        p.unlink()
    shutil.rmtree(root / "bin", ignore_errors=True)
    for name in ("relay", "templates", "static"):
        shutil.copytree(stage / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out.parent.mkdir(parents=True, exist_ok=True)
    zipapp.create_archive(root, out, interpreter="/usr/bin/env python3", main="relay.__main__:main", compressed=True)
    print(f"zipapp: {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    build(*sys.argv[1:3])
