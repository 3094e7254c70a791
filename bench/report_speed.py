"""How fast `relay report daily` answers on a synthetic history: cold (indexing first) and warm.

    python bench/report_speed.py                 # 1 GB synthetic history in a temp dir
    python bench/report_speed.py --size-mb 100   # a quick run
    python bench/report_speed.py --keep DIR      # generate into DIR and leave it there

Prints the wall time of the real command (`relay.py report daily --json`, a new process each
time: interpreter start, imports, index update, query) cold on an empty data dir and then warm,
and, in this process, the warm time split into the index check (directory walk + stat compare)
and the report itself (SQL over `message_usage`, pricing, shaping). Numbers only.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import synth_sessions  # noqa: E402


def _cli(kind="daily", *extra):
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "relay.py"), "report", kind, "--json", *extra],
                          capture_output=True, text=True, check=True)
    return (time.perf_counter() - start) * 1000, json.loads(done.stdout)


def _in_process(runs, tz=None):
    from relay import times
    from relay.costs import prices, reports
    from relay.present import reports as reports_view
    from relay.store import Store
    store = Store(os.path.join(os.environ["RELAY_HOME"], "relay.db"))
    table = prices.load()
    check, query = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        reports.refresh(store, ("claude",))
        t1 = time.perf_counter()
        reports_view.usage_report("daily", reports.aggregate(store, table, "day", ("claude",), tz=times.zone(tz)))
        t2 = time.perf_counter()
        check.append((t1 - t0) * 1000)
        query.append((t2 - t1) * 1000)
    rows = store.read(lambda c: c.execute("SELECT COUNT(*), SUM(canonical) FROM message_usage").fetchone())
    store.close()
    return statistics.median(check), statistics.median(query), rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="history size to generate (default 1024)")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument("--runs", type=int, default=5, help="warm runs to take the median of")
    args = parser.parse_args(argv)
    root = args.keep or tempfile.mkdtemp(prefix="relay-bench-")
    try:
        homes, total = synth_sessions.prepare(root, args.size_mb)
        claude_mb = sum(p.stat().st_size for p in Path(homes["claude"]).rglob("*.jsonl")) / 1e6
        cold_ms, payload = _cli()
        print(f"cold:  relay report daily {cold_ms / 1000:.2f} s (indexes {claude_mb:.0f} MB of Claude Code files "
              f"first; {len(payload['daily'])} days, totalCost ${payload['totals']['totalCost']:,.2f})")
        warm = sorted(_cli()[0] for _ in range(args.runs))
        print(f"warm:  relay report daily {statistics.median(warm):.0f} ms median of {args.runs} "
              f"(min {warm[0]:.0f}, max {warm[-1]:.0f}), a new process each time")
        for extra in (("--provider", "claude"), ("--timezone", "UTC"), ("--timezone", "America/New_York"),
                      ("--timezone", "Europe/Berlin", "--instances")):
            runs = sorted(_cli("daily", *extra)[0] for _ in range(args.runs))
            print(f"warm:  relay report daily {' '.join(extra)} {statistics.median(runs):.0f} ms median "
                  f"(min {runs[0]:.0f})")
        for tz in ("UTC", "America/New_York"):
            check, query, (rows, canonical) = _in_process(args.runs, tz)
            print(f"       in-process ({tz}): index check {check:.0f} ms + report {query:.0f} ms "
                  f"({rows} message rows, {canonical} canonical)")
        for kind in ("weekly", "monthly", "session", "blocks"):
            print(f"warm:  relay report {kind} {_cli(kind)[0]:.0f} ms")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
