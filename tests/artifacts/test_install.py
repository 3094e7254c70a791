"""`pip install .` as a user runs it from a fresh clone: a wheel built from a copy of the sources,
installed into a new venv, serving the pages from another directory; and the data files found
under the other install schemes (--user, --prefix).

The venv sees the test run's site-packages (--system-site-packages) and the wheel goes in with
--no-deps, so nothing is downloaded but the build backend pip's isolated build asks for (cached
by pip after the first run).
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import requests

from relay import __version__
from tests.relay_process import ROOT, RelayProcess

pytestmark = pytest.mark.timeout(600)
# What a clone holds that the build reads; caches and the build's own output are left behind.
SKIP = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", "*.egg-info", "out", "dist", "tests", "bench",
                              ".pytest_cache", ".hypothesis", ".venv")


def pip(python, *args, env=None):
    done = subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args], capture_output=True,
                          text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def clean_env(**extra):
    # A PYTHONPATH naming this checkout would let the installed command import the sources instead.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    work = tmp_path_factory.mktemp("install")
    clone = work / "clone"
    shutil.copytree(ROOT, clone, ignore=SKIP)
    pip(sys.executable, "wheel", "--no-deps", "--wheel-dir", str(work / "dist"), str(clone), env=clean_env())
    (built,) = (work / "dist").glob("relay-*.whl")
    return built


def test_wheel_carries_every_template_and_static_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = f"relay-{__version__}.data/data/share/relay/"
    for folder in ("templates", "static"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file():
                assert data + path.relative_to(ROOT).as_posix() in names, f"{path} is not in the wheel"
    assert f"relay-{__version__}.dist-info/METADATA" in names   # the version comes from relay/__init__.py
    assert "relay/__main__.py" in names and "relay.py" not in names


def test_installed_relay_serves_the_dashboard_from_any_directory(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    pip(bindir / "python", "install", "--no-deps", str(wheel), env=clean_env())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = clean_env()
    version = subprocess.run([str(bindir / "relay"), "--version"], capture_output=True, text=True, timeout=60,
                             cwd=elsewhere, env=env)
    assert version.stdout.strip() == f"relay {__version__} (commit unknown, installed)", version.stderr
    # Nothing listens on the upstreams: the pages do not need them.
    with RelayProcess("http://127.0.0.1:9", env=env, command=[str(bindir / "relay")], cwd=elsewhere) as relay:
        page = requests.get(relay.url + "/dashboard/", timeout=30)
        assert page.status_code == 200 and page.text.lstrip().lower().startswith("<!doctype html>")
        assert "<title>relay" in page.text and 'href="/static/' in page.text
        css = page.text.split('href="/static/', 1)[1].split('"', 1)[0]
        assert requests.get(relay.url + "/static/" + css, timeout=10).status_code == 200


def _resource_dir(env, cwd):
    done = subprocess.run([sys.executable, "-c", "from relay import paths; print(paths.resource_dir('templates'))"],
                          capture_output=True, text=True, timeout=60, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def test_templates_are_found_under_a_prefix_install(wheel, tmp_path):
    prefix = tmp_path / "prefix"
    pip(sys.executable, "install", "--no-deps", "--prefix", str(prefix), str(wheel), env=clean_env())
    site = sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)})
    assert (Path(site) / "relay" / "__init__.py").is_file()
    found = _resource_dir(clean_env(PYTHONPATH=site), tmp_path)
    assert found == prefix / "share" / "relay" / "templates" and (found / "_partials").is_dir()


@pytest.mark.skipif(sys.prefix != sys.base_prefix, reason="a venv's Python has no user site-packages")
def test_templates_are_found_under_a_user_install(wheel, tmp_path):
    userbase = tmp_path / "userbase"
    env = clean_env(PYTHONUSERBASE=str(userbase))
    pip(sys.executable, "install", "--no-deps", "--user", "--no-warn-script-location", str(wheel), env=env)
    found = _resource_dir(env, tmp_path)
    assert found == userbase / "share" / "relay" / "templates" and (found / "_partials").is_dir()
