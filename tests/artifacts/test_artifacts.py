"""Smoke tests of the built artifacts, run as a user would: env -i, a temp HOME, no site-packages.

The binary also runs chrooted into a Debian bookworm minbase root made by debootstrap (cached;
no Python in it), and into a root that holds only its own file and the system libraries it maps
(tests/artifacts/artifacts.py), which needs no mirror. Building takes about a minute the
first time per source hash; later runs reuse the cached dist.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.artifacts import artifacts
from tests.fake_upstream import FakeUpstream
from tests.relay_process import RelayProcess

# The first test of a run may build both artifacts (and a venv) before it starts: about 1 to 3
# minutes on a loaded 2-core machine, more than the suite's default per-test timeout allows.
pytestmark = pytest.mark.timeout(900)
BODY = (artifacts.ROOT / "tests" / "data" / "requests" / "claude" / "request-001-text.json").read_bytes()


def _check(report, name):
    """One check of `relay doctor --format json`, by name (checks are added over time)."""
    return next(c for c in report["checks"] if c["name"] == name)


@pytest.fixture(scope="module")
def dist():
    return artifacts.build(dict(os.environ))


@pytest.fixture
def upstream():
    server = FakeUpstream().start()
    yield server
    server.stop()


def clean_env(home, **extra):
    # env -i: nothing inherited, not even PATH; a PYTHONPATH or site-packages cannot leak in.
    return {"HOME": str(home), "LANG": "C.UTF-8", **extra}


def exercise(relay_process, upstream):
    """One proxied Messages request, the dashboard page and the health API through a running relay."""
    proxied = requests.post(relay_process.url + "/v1/messages", data=BODY, timeout=30,
                            headers={"content-type": "application/json", "x-api-key": "test-key",
                                     "anthropic-version": "2023-06-01"})
    assert proxied.status_code == 200 and proxied.json()["id"].startswith("msg_fake_")
    assert upstream.requests and upstream.requests[-1]["body"] == BODY
    page = requests.get(relay_process.url + "/", timeout=10)
    assert page.status_code == 200 and "<html" in page.text and "/static/" in page.text
    css = page.text.split('href="/static/', 1)[1].split('"', 1)[0]
    assert requests.get(relay_process.url + "/static/" + css, timeout=10).status_code == 200
    health = requests.get(relay_process.url + "/api/v1/health", timeout=10).json()
    return health


def run(command, env, *args, cwd=None):
    return subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd)


def test_binary_serves_and_reports_its_build(dist, upstream, tmp_path):
    env = clean_env(tmp_path)
    version = run([str(dist / "relay")], env, "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("relay 0.1.0 (commit ") and version.stdout.strip().endswith(", binary)")
    assert "commit unknown" not in version.stdout
    with RelayProcess(upstream.url, env=env, command=[str(dist / "relay")], cwd=tmp_path) as relay:
        health = exercise(relay, upstream)
        assert health["db_path"] == str(tmp_path / ".local" / "share" / "relay" / "relay.db")
        assert relay.wait_stderr("relay gevent listening")
    doctor = run([str(dist / "relay")], env, "doctor", "--format", "json")
    runtime = _check(json.loads(doctor.stdout), "runtime")
    assert "binary" in runtime["message"] and "server: gevent" in runtime["message"]
    assert "liveness: psutil" in runtime["message"]
    # the SDK is bundled exactly when it is a runtime requirement (issue 8 adds it)
    lines = (artifacts.ROOT / "requirements.txt").read_text().splitlines()
    wants_mcp = any(re.match(r"mcp\b", line.strip()) for line in lines)
    assert ("mcp: available" in runtime["message"]) == wants_mcp, runtime["message"]


def test_binary_keeps_portable_data_beside_itself(dist, upstream, tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "relay").write_bytes((dist / "relay").read_bytes())
    os.chmod(stick / "relay", 0o755)
    (stick / "relay-data").mkdir()
    home = tmp_path / "host-home"
    with RelayProcess(upstream.url, env=clean_env(home), command=[str(stick / "relay")], cwd=tmp_path) as relay:
        assert exercise(relay, upstream)["db_path"] == str(stick / "relay-data" / "relay.db")
    assert (stick / "relay-data" / "relay.db").is_file()
    assert not (home / ".local").exists()   # nothing written on the host's side


def test_zipapp_serves_on_every_python_in_fallback_mode(dist, upstream, tmp_path):
    found = artifacts.pythons()
    assert found, "no Python 3.10+ found"
    for minor, python in found.items():
        home = tmp_path / minor
        env = clean_env(home)
        # -I -S: no user or system site-packages, so gevent and psutil cannot come from the host
        command = [python, "-I", "-S", str(dist / "relay.pyz")]
        version = run(command, env, "--version")
        assert version.returncode == 0 and version.stdout.strip().endswith(", zipapp)"), (minor, version.stderr)
        with RelayProcess(upstream.url, env=env, command=command, cwd=tmp_path) as relay:
            exercise(relay, upstream)
            assert relay.wait_stderr("server: waitress (gevent unavailable in zipapp)")
            assert relay.wait_stderr("liveness: /proc and os.kill (psutil unavailable in zipapp")
        doctor = _check(json.loads(run(command, env, "doctor", "--format", "json").stdout), "runtime")
        assert doctor["status"] == "warn", minor
        assert "server: waitress (gevent unavailable in zipapp)" in doctor["message"]
        assert "mcp: unavailable in zipapp" in doctor["message"]
        mcp = run(command, env, "mcp")
        assert mcp.returncode == 2 and mcp.stderr.startswith("Error: relay mcp is unavailable in zipapp"), mcp.stderr
        assert mcp.stderr.count("\n") == 1 and not mcp.stdout, mcp.stderr


def test_zipapp_relative_relay_home_is_beside_the_archive(dist, upstream, tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "relay.pyz").write_bytes((dist / "relay.pyz").read_bytes())
    python = next(iter(artifacts.pythons().values()))
    env = clean_env(tmp_path / "home", RELAY_HOME="./relay-data")
    with RelayProcess(upstream.url, env=env, command=[python, "-I", "-S", str(stick / "relay.pyz")],
                      cwd=tmp_path) as relay:
        assert exercise(relay, upstream)["db_path"] == str(stick / "relay-data" / "relay.db")
    # templates and static were unpacked into the portable data dir too
    assert list((stick / "relay-data" / "cache").glob("resources-*/templates"))


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root (CI runs as root)")
def test_binary_serves_in_a_root_without_python(dist, upstream, tmp_path):
    binary = dist / "relay"
    env = clean_env(tmp_path / "home")
    # Learn what the binary maps while it serves, on the host...
    with RelayProcess(upstream.url, env=env, command=[str(binary)], cwd=tmp_path) as relay:
        exercise(relay, upstream)
        mapped = artifacts.mapped_files(relay.proc.pid)
    root = artifacts.make_root(binary, mapped, tmp_path / "root")
    inside = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert not [p for p in inside if "python" in Path(p).name.lower() and "libpython" not in p], inside
    assert not any(p.startswith(("usr/bin", "bin/")) for p in inside), inside
    # ...then run it where nothing else exists (chroot's own binary is outside the root).
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    chrooted = [chroot, str(root), "/relay"]
    probe = subprocess.run([chroot, str(root), "/usr/bin/python3", "-V"], capture_output=True)
    assert probe.returncode != 0
    with RelayProcess(upstream.url, env={"HOME": "/tmp/home", "LANG": "C.UTF-8"}, command=chrooted,
                      cwd=tmp_path) as relay:
        assert exercise(relay, upstream)["db_path"] == "/tmp/home/.local/share/relay/relay.db"
    assert (root / "tmp" / "home" / ".local" / "share" / "relay" / "relay.db").is_file()


def test_parallel_scan_runs_in_both_artifacts(dist, tmp_path):
    # Over 32 MB of sessions the scan parses in spawned worker processes: in the binary that needs
    # multiprocessing.freeze_support, in the zipapp the children must find relay inside the .pyz.
    fixtures = sorted((artifacts.ROOT / "tests" / "data" / "sessions" / "claude").glob("*.jsonl"))
    projects = tmp_path / "home" / ".claude" / "projects"
    size = 0
    for n in range(200):
        folder = projects / f"p{n}"
        folder.mkdir(parents=True)
        for f in fixtures:
            (folder / f.name).write_bytes(f.read_bytes())
            size += f.stat().st_size
        if size > 40 << 20:
            break
    python = next(iter(artifacts.pythons().values()))
    for command in ([str(dist / "relay")], [python, "-I", "-S", str(dist / "relay.pyz")]):
        env = clean_env(tmp_path / "home", RELAY_HOME=str(tmp_path / f"data-{len(command)}"))
        done = run(command, env, "scan", "--format", "json")
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        index = json.loads(done.stdout)["summary"]["index"]
        assert index["bytes_read"] == size and index["files_parsed"] == index["files"]
        assert index["workers"] >= 2 or (os.cpu_count() or 1) < 2, index


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root (CI runs as root)")
def test_binary_serves_in_a_debian_minbase_without_python(dist, upstream, tmp_path):
    root, why = artifacts.debian_root()
    if root is None:
        pytest.skip(why)   # the library-only root above still proves the no-Python run
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    look = "command -v python3 python python3.11 || ls /usr/lib | grep -i python"
    probe = subprocess.run([chroot, str(root), "/bin/sh", "-c", look], capture_output=True, text=True)
    assert probe.returncode != 0 and not probe.stdout.strip(), probe.stdout
    inside = Path(root) / "opt" / f"relay-{os.getpid()}"
    inside.mkdir(parents=True, exist_ok=True)
    env = {"HOME": f"/tmp/home-{os.getpid()}", "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}
    try:
        shutil.copy2(dist / "relay", inside / "relay")
        command = [chroot, str(root), f"/opt/{inside.name}/relay"]
        with RelayProcess(upstream.url, env=env, command=command, cwd=tmp_path) as relay:
            assert exercise(relay, upstream)["db_path"] == f"{env['HOME']}/.local/share/relay/relay.db"
    finally:
        shutil.rmtree(inside, ignore_errors=True)
        shutil.rmtree(Path(root) / env["HOME"].lstrip("/"), ignore_errors=True)
