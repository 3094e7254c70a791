"""How fast `relay scan` indexes a session history: cold, warm, and after a 1 MB append.

    python bench/scan_speed.py                 # 1 GB synthetic history in a temp dir
    python bench/scan_speed.py --size-mb 100   # a quick run
    python bench/scan_speed.py --keep DIR      # generate into DIR (anew each run) and leave it there

Prints cold-scan MB/s (all cores), the warm re-scan time with nothing changed, the re-scan time
after appending 1 MB to one Claude Code session, and peak RSS of this process and of the pool
workers. Numbers only: nothing here asserts.
"""
import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synth_sessions  # noqa: E402
from relay.diagnostics import scan  # noqa: E402
from relay.store import Store  # noqa: E402


def _timed(store):
    start = time.perf_counter()
    payload = scan.run(store)
    return (time.perf_counter() - start) * 1000, payload


def _rss_mb(who):
    # ru_maxrss is KiB on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(who).ru_maxrss * scale / 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="history size to generate (default 1024)")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument("--append-mb", type=float, default=1.0)
    args = parser.parse_args(argv)
    root = args.keep or tempfile.mkdtemp(prefix="relay-bench-")
    try:
        homes, total = synth_sessions.prepare(root, args.size_mb)
        store = Store(os.path.join(root, "relay-home", "relay.db"))
        cold_ms, payload = _timed(store)
        idx = payload["summary"]["index"]
        print(f"cold scan:  {cold_ms / 1000:.2f} s, {total / 1e6 / (cold_ms / 1000):.0f} MB/s, "
              f"{payload['summary']['sessions']} sessions, {idx['files']} files, {idx['workers']} workers")
        warm_ms, payload = _timed(store)
        print(f"warm scan:  {warm_ms:.0f} ms (nothing changed; bytes read {payload['summary']['index']['bytes_read']})")
        claude = sorted(Path(homes["claude"]).rglob("*.jsonl"), key=lambda p: p.stat().st_size)
        rng = random.Random(1)
        text = synth_sessions.Text(rng)
        for label, target in (("median", claude[len(claude) // 2]), ("largest", claude[-1])):
            added = synth_sessions.append_claude(target, rng, text, int(args.append_mb * (1 << 20)))
            append_ms, payload = _timed(store)
            print(f"append:     {append_ms:.0f} ms after +{added / 1e6:.2f} MB to the {label} Claude Code file "
                  f"({target.stat().st_size / 1e6:.1f} MB; bytes read {payload['summary']['index']['bytes_read']})")
        print(f"peak RSS:   {_rss_mb(resource.RUSAGE_SELF):.0f} MB main process, "
              f"{_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB largest worker")
        store.close()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
