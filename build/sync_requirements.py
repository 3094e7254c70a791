"""Write requirements.txt and requirements-dev.txt from pyproject.toml, the one list of dependencies.

pyproject.toml's [project] dependencies are the runtime, its `test` extra what the test suite needs
on top. The two text files exist for tools that read a requirements file (build/build.sh keys its
build venv on requirements.txt and takes the PyInstaller pin from requirements-dev.txt; .ci/run and
the README install with requirements-dev.txt). Edit pyproject.toml, then run
    python3 build/sync_requirements.py
`--check` writes nothing and exits 1 when a file differs from what it would write
(tests/artifacts/test_requirements.py runs it).
"""
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:   # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
HEADER = "# Generated from pyproject.toml by build/sync_requirements.py: edit pyproject.toml, then run it.\n"


def rendered():
    """{file name: text} of both files as pyproject.toml says they should be."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = project["dependencies"]
    test = project["optional-dependencies"]["test"]
    return {
        "requirements.txt": HEADER + "# Runtime\n" + "".join(f"{d}\n" for d in runtime),
        "requirements-dev.txt": HEADER + "# Tests: real clients, property tests, browser driver, binary builder\n"
        + "-r requirements.txt\n" + "".join(f"{d}\n" for d in test),
    }


def main(argv):
    check = "--check" in argv
    stale = []
    for name, text in rendered().items():
        path = ROOT / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not check:
            path.write_text(text, encoding="utf-8")
    if check and stale:
        print(f"{', '.join(stale)} differ from pyproject.toml: run python3 build/sync_requirements.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
