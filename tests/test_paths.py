"""relay.paths in the three layouts (source tree, zipapp, PyInstaller) and the portable data dir."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from relay import paths
from relay.errors import RelayError

ROOT = Path(__file__).resolve().parent.parent


def test_source_tree_finds_the_checkout_folders():
    assert paths.resource_dir("templates") == ROOT / "templates"
    assert (paths.resource_dir("static")).is_dir()
    assert paths.artifact_path() is None and paths.zipapp_archive() is None


def test_pyinstaller_layout_uses_the_unpack_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.resource_dir("templates") == tmp_path / "templates"


def test_frozen_artifact_is_the_executable(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "relay"))
    assert paths.artifact_path() == (tmp_path / "relay").resolve()


def _make_pyz(where):
    archive = where / "relay.pyz"
    with zipfile.ZipFile(archive, "w") as zf:
        for base in ("relay", "templates", "static"):
            for f in (ROOT / base).rglob("*"):
                if f.is_file() and "__pycache__" not in f.parts:
                    zf.write(f, f.relative_to(ROOT).as_posix())
        zf.writestr("__main__.py", "from relay.__main__ import main\nmain()\n")
    return archive


def test_zipapp_unpacks_templates_once_into_the_data_dir(tmp_path):
    archive = _make_pyz(tmp_path)
    code = ("from relay import paths; print(paths.resource_dir('templates')); print(paths.zipapp_archive()); "
            "print(paths.data_dir())")
    env = {"HOME": str(tmp_path / "home"), "PATH": os.environ.get("PATH", "")}
    for _ in range(2):
        out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(archive)!r}); {code}"],
                             capture_output=True, text=True, env=env, cwd=str(tmp_path))
        assert out.returncode == 0, out.stderr
    templates, found, data = out.stdout.split()
    assert Path(found) == archive
    # a relay-data/ folder beside nothing: the user's data dir, and the unpacked copy lives there
    assert Path(data) == tmp_path / "home" / ".local" / "share" / "relay"
    assert Path(templates).parent.parent == Path(data) / "cache" and (Path(templates) / "base.html").is_file()
    assert len(list((Path(data) / "cache").iterdir())) == 1   # the second run reused the first unpack


def test_missing_resources_are_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "__file__", str(tmp_path / "relay" / "paths.py"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    with pytest.raises(RelayError, match="templates/ folder is missing"):
        paths.resource_dir("templates")


def test_artifact_data_dir_rules(tmp_path):
    binary = tmp_path / "stick" / "relay"
    binary.parent.mkdir()
    home = {"HOME": str(tmp_path / "home")}
    user_dir = tmp_path / "home" / ".local" / "share" / "relay"
    # no relay-data/ beside it: the user's data dir, as from source
    assert paths.data_dir(home, artifact=binary) == user_dir
    assert paths.data_dir(home, artifact=None) == user_dir
    # a relay-data/ folder beside the binary is used without any setting
    (binary.parent / "relay-data").mkdir()
    assert paths.data_dir(home, artifact=binary) == binary.parent / "relay-data"
    assert paths.data_dir(home, artifact=None) == user_dir
    # a relative RELAY_HOME is taken beside the artifact, an absolute one as given
    assert paths.data_dir({**home, "RELAY_HOME": "./data"}, artifact=binary) == binary.parent / "data"
    assert paths.data_dir({**home, "RELAY_HOME": "./data"}, artifact=None) == Path("./data")
    assert paths.data_dir({**home, "RELAY_HOME": str(tmp_path / "x")}, artifact=binary) == tmp_path / "x"
