"""Size of the built artifacts and their cold start: process spawn to the first HTTP response of
GET /api/v1/health, median of --runs starts, each with a fresh empty HOME (so a fresh database,
and for the zipapp a fresh unpack of templates/static on the first page, not on health).

    ./build/build.sh && python bench/artifact_start.py            # dist/ of this checkout
    python bench/artifact_start.py --dist DIR --runs 7

The binary is a PyInstaller one-file build: every start unpacks it to a temp dir first, which is
most of its start time. Targets: binary <= 40 MB and <= 1 s. Numbers only; nothing is asserted.
"""
import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start(command):
    with tempfile.TemporaryDirectory() as home:
        port = free_port()
        env = {"HOME": home, "LANG": "C.UTF-8"}
        start = time.perf_counter()
        proc = subprocess.Popen([*command, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = start + 30
            while time.perf_counter() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1) as resp:
                        resp.read()
                        return time.perf_counter() - start
                except OSError:
                    time.sleep(0.005)
            raise SystemExit(f"{command[0]} did not answer within 30 s")
        finally:
            proc.terminate()
            proc.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dist", default=str(ROOT / "dist"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", default=sys.executable, help="interpreter for the zipapp")
    args = parser.parse_args()
    dist = Path(args.dist)
    subjects = [("binary", dist / "relay", [str(dist / "relay")], "40 MB / 1.0 s"),
                ("zipapp", dist / "relay.pyz", [args.python, "-I", "-S", str(dist / "relay.pyz")], "-"),
                ("source", ROOT / "relay.py", [sys.executable, str(ROOT / "relay.py")], "-")]
    print(f"{'artifact':<8} {'size':>9} {'cold start p50':>15} {'min':>8} {'max':>8}  target (size / start)")
    for name, path, command, target in subjects:
        if not path.is_file():
            print(f"{name:<8} missing: {path} (run ./build/build.sh)")
            continue
        times = [cold_start(command) for _ in range(args.runs)]
        size = f"{path.stat().st_size / 1e6:.1f} MB" if name != "source" else "-"
        print(f"{name:<8} {size:>9} {statistics.median(times):>13.3f} s {min(times):>6.3f} s "
              f"{max(times):>6.3f} s  {target}")


if __name__ == "__main__":
    main()
