"""The first run side by side: cold `relay report daily` against ccusage 20.0.24 on the same files.

    python bench/first_run.py                  # 200 MB synthetic history in a temp dir
    python bench/first_run.py --size-mb 1024   # a heavy user's history
    python bench/first_run.py --keep DIR       # generate into DIR and leave it there

Generates the corpus (bench/synth_sessions.py), then runs, in turn and `--runs` times each,
`relay.py report daily --json --provider claude` on an empty data dir (cold: it indexes everything
first) and `ccusage daily --offline --json` with CLAUDE_CONFIG_DIR (and an empty CODEX_HOME) on the
same Claude Code files (ccusage keeps no index, so every run of it is a first run). Prints both
medians, the ratio, MB/s, the peak RSS of the largest process of each command's tree, the totals
side by side, then a cold report over every CLI's files (Claude Code, Codex, Gemini) and the cold
`relay scan` MB/s over every provider (all detectors) and the load average, since the machine may
be shared.
ccusage is installed from npm into ~/.cache/relay-ci/ccusage on first use. Numbers only.
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

CCUSAGE = "20.0.24"
CACHE = Path.home() / ".cache" / "relay-ci" / "ccusage"


def _ccusage():
    binary = CACHE / "node_modules" / ".bin" / "ccusage"
    if not binary.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", f"ccusage@{CCUSAGE}"], cwd=CACHE, check=True,
                       capture_output=True)
    return str(binary)


def _timed(cmd, env):
    """(seconds, peak RSS MB of the largest process in the tree, stdout) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} exited {proc.returncode}")
    # ru_maxrss: KiB on Linux (the largest of the process and the children it waited for), bytes on macOS
    _timed.cpu[cmd[0]] = _timed.cpu.get(cmd[0], []) + [usage.ru_utime + usage.ru_stime]
    return elapsed, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024) / 1e6, out


# CPU seconds (user + system, the process and the workers it waited for) per command: on a shared
# machine they move much less with the load than wall time does.
_timed.cpu = {}


def _tokens(totals):
    return {k: totals.get(k) for k in ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens",
                                       "totalTokens", "totalCost")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="history size to generate (default 200)")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    root = args.keep or tempfile.mkdtemp(prefix="relay-first-run-")
    try:
        homes, total = synth_sessions.prepare(root, args.size_mb)
        claude_mb = sum(p.stat().st_size for p in Path(homes["claude"]).rglob("*.jsonl")) / 1e6
        ccusage = _ccusage()
        relay_home = os.environ["RELAY_HOME"]
        # The same files on both sides: ccusage 20 reads Codex too (CODEX_HOME, else ~/.codex), so it gets an
        # empty one, and relay reads Claude Code alone (--provider claude); relay over every CLI is timed after.
        nothing = os.path.join(root, "empty")
        os.makedirs(nothing, exist_ok=True)
        env = dict(os.environ, CLAUDE_CONFIG_DIR=homes["claude"], CODEX_HOME=nothing)
        # An installed relay has its bytecode (pip compiles it): without it every run would compile
        # relay's modules again, which says nothing about the first run of a real install.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "relay")], check=True)
        relay_cmd = [sys.executable, str(ROOT / "relay.py"), "report", "daily", "--json", "--provider", "claude"]
        cc_cmd = [ccusage, "daily", "--offline", "--json"]
        relay_runs, cc_runs = [], []
        for _ in range(args.runs):
            shutil.rmtree(relay_home, ignore_errors=True)
            relay_runs.append(_timed(relay_cmd, env))
            cc_runs.append(_timed(cc_cmd, env))
        relay_s = statistics.median(r[0] for r in relay_runs)
        cc_s = statistics.median(r[0] for r in cc_runs)
        print(f"Claude Code files: {claude_mb:.0f} MB; {args.runs} runs each, in turn; load average before the "
              f"last run {os.getloadavg()[0]:.2f}")
        print(f"relay report daily (cold): median {relay_s:.2f} s ({claude_mb / relay_s:.0f} MB/s), "
              f"runs {', '.join(f'{r[0]:.2f}' for r in relay_runs)}, peak RSS {max(r[1] for r in relay_runs):.0f} MB")
        print(f"ccusage {CCUSAGE} daily:        median {cc_s:.2f} s ({claude_mb / cc_s:.0f} MB/s), "
              f"runs {', '.join(f'{r[0]:.2f}' for r in cc_runs)}, peak RSS {max(r[1] for r in cc_runs):.0f} MB")
        print(f"ratio relay / ccusage: {relay_s / cc_s:.2f}")
        relay_cpu, cc_cpu = (statistics.median(_timed.cpu[cmd[0]]) for cmd in (relay_cmd, cc_cmd))
        print(f"CPU (user + system) medians: relay {relay_cpu:.2f} s, ccusage {cc_cpu:.2f} s, "
              f"ratio {relay_cpu / cc_cpu:.2f}")
        relay_totals = _tokens(json.loads(relay_runs[-1][2])["totals"])
        cc_totals = _tokens(json.loads(cc_runs[-1][2])["totals"])
        print("totals:                relay            ccusage")
        for key in relay_totals:
            print(f"  {key:<20} {relay_totals[key]!s:>16} {cc_totals[key]!s:>16}")
        print("  (cacheCreationTokens differ where a file's 5m/1h split exceeds the lump: relay counts the split)")
        warm_s, _, _ = _timed(relay_cmd, env)
        print(f"relay report daily (warm, once): {warm_s:.2f} s")
        shutil.rmtree(relay_home, ignore_errors=True)
        every_s, every_rss, _ = _timed(relay_cmd[:-2], env)
        print(f"relay report daily (cold, every provider): {every_s:.2f} s, {total / 1e6 / every_s:.0f} MB/s over "
              f"{total / 1e6:.0f} MB, peak RSS {every_rss:.0f} MB")
        shutil.rmtree(relay_home, ignore_errors=True)
        scan_s, scan_rss, _ = _timed([sys.executable, str(ROOT / "relay.py"), "scan"], env)
        print(f"relay scan (cold, every provider, all detectors): {scan_s:.2f} s, {total / 1e6 / scan_s:.0f} MB/s "
              f"over {total / 1e6:.0f} MB, peak RSS {scan_rss:.0f} MB; load average {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
