"""Soak: many concurrent streaming exchanges through relay for minutes, with history on and pages
open; does relay keep up, keep its memory flat and record every exchange?

    python bench/soak.py                       # 1,000 streams for 10 minutes
    python bench/soak.py --streams 200 --minutes 2
    python bench/soak.py --quick               # 50 streams for 20 s (a smoke run)

All on 127.0.0.1: the fast fake upstream (bench/fast_upstream.py), a real `relay serve --history`
and two processes of load. Each of --streams gevent clients loops back to back over its own
keep-alive connection: one streaming request (the 49 KB Claude Code fixture body, x-fake-scenario
spaced-<gap>-<events>, so every exchange is a stream lasting about events x gap) until time is
up. A few "page" clients fetch / and /api/v1/requests once a second. One probe client sends the
same request straight to the fake every 0.2 s, so added latency = relayed TTFB - direct TTFB,
per interval (both include the fake's own time; the difference is relay's).

Printed per interval: exchanges finished, throughput, TTFB p50/p99 relayed and direct, relay's
RSS and CPU. At the end: DB size, rows in the DB vs exchanges sent (relay is stopped with
SIGTERM first, so everything queued is flushed), and any client errors by kind. Numbers only.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.proxy_overhead import (  # noqa: E402
    connect,
    pct,
    popen,
    raise_nofile,
    read_response,
    request_bytes,
    start_fake,
    start_listening,
    stop,
)

ROOT = Path(__file__).resolve().parent.parent


def load_client(url, streams, seconds, interval, scenario, ramp):
    """Runs in its own process: `streams` gevent loops; prints one JSON line at the end."""
    import gevent
    from gevent import socket as gsocket
    raise_nofile(streams + 256)
    req = request_bytes(url, scenario)
    t0 = time.monotonic()
    end = t0 + seconds
    out = {"sent": 0, "ok": 0, "errors": {}, "ttfb": {}}

    def one(i):
        gevent.sleep(i / ramp)
        sock = None
        while time.monotonic() < end:
            try:
                if sock is None:
                    sock = connect(url, gsocket, timeout=120)
                out["sent"] += 1
                started = time.monotonic_ns()
                sock.sendall(req)
                resp = read_response(sock, clock=time.monotonic_ns)
                if resp.status == 200 and resp.chunks and b"message_stop" in resp.chunks[-1][0]:
                    out["ok"] += 1
                    bucket = str(int((time.monotonic() - t0) // interval))
                    out["ttfb"].setdefault(bucket, []).append((resp.t_first - started) / 1e6)
                else:
                    out["errors"][f"status {resp.status}"] = out["errors"].get(f"status {resp.status}", 0) + 1
                if resp.leftover:
                    sock.close()
                    sock = None
            except Exception as exc:  # noqa: BLE001 - counted and reported
                out["errors"][type(exc).__name__] = out["errors"].get(type(exc).__name__, 0) + 1
                if sock is not None:
                    sock.close()
                sock = None
        if sock is not None:
            sock.close()

    gevent.joinall([gevent.spawn(one, i) for i in range(streams)], timeout=seconds + 300)
    print(json.dumps(out), flush=True)


def pages_client(url, seconds, pages):
    """Fetches the index page and the requests API once a second per page, like open tabs."""
    import requests
    end = time.monotonic() + seconds
    got = {"ok": 0, "failed": 0}
    while time.monotonic() < end:
        for _ in range(pages):
            for path in ("/", "/api/v1/requests?limit=50", "/api/v1/health"):
                try:
                    ok = requests.get(url + path, timeout=30).status_code == 200
                    got["ok" if ok else "failed"] += 1
                except requests.RequestException:
                    got["failed"] += 1
        time.sleep(1.0)
    print(json.dumps(got), flush=True)


def _spawn(role, *args):
    """A helper process whose stdout is read as it comes (its result line is large: a full pipe
    would block it while this process waits for it to exit)."""
    proc = popen([sys.executable, __file__, "--_role", role, *map(str, args)], stdout=subprocess.PIPE, text=True)
    proc.lines = []
    proc.reader = threading.Thread(target=lambda: proc.lines.extend(proc.stdout), daemon=True)
    proc.reader.start()
    return proc


def _last_json(proc, timeout):
    proc.wait(timeout)
    proc.reader.join(timeout)
    return json.loads(proc.lines[-1])


def run(args):
    import psutil
    seconds = args.minutes * 60
    scenario = f"spaced-{args.gap}-{args.events}"
    fake, fake_url = start_fake("fast")
    home = Path(tempfile.mkdtemp(prefix="relay-soak-"))
    relay = None
    try:
        relay, relay_url = start_relay_with_history(fake_url, home)
        proc = psutil.Process(relay.pid)
        load = _spawn("load", relay_url, args.streams, seconds, args.interval, scenario, args.ramp)
        probe = _spawn("load", fake_url, 1, seconds, args.interval, scenario, 1000)
        pages = _spawn("pages", relay_url, seconds, args.pages)
        samples = []   # (t, rss, cpu%)
        proc.cpu_percent(None)
        t0 = time.monotonic()
        while load.poll() is None:
            time.sleep(min(5.0, args.interval / 2))
            try:
                samples.append((time.monotonic() - t0, proc.memory_info().rss, proc.cpu_percent(None)))
            except psutil.Error:
                break
        result, direct, page_stats = _last_json(load, 60), _last_json(probe, 120), _last_json(pages, 120)
        stopping = time.monotonic()
        stop(relay, timeout=600)   # SIGTERM: open streams finish, the writer writes its whole queue
        relay = None
        stop_seconds = time.monotonic() - stopping
        db = home / "relay.db"
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT COUNT(*) FROM exchanges").fetchone()[0]
            open_rows = conn.execute("SELECT COUNT(*) FROM exchanges WHERE outcome IS NULL").fetchone()[0]
            turns = conn.execute("SELECT COUNT(*) FROM history_turns").fetchone()[0] if _has(conn, "history_turns") \
                else None
        db_bytes = sum(p.stat().st_size for p in home.glob("relay.db*"))
        report(args, result, direct, page_stats, samples, rows, open_rows, turns, db_bytes, stop_seconds)
    finally:
        stop(relay)
        stop(fake)


def _has(conn, table):
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None


def start_relay_with_history(fake_url, home):
    """relay's defaults (as bench/proxy_overhead.py starts it) plus history on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_") and k != "ANTHROPIC_BASE_URL"}
    env.update(RELAY_HOME=str(home), RELAY_LOG_LEVEL="warning", RELAY_HISTORY="1", PYTHONUNBUFFERED="1")
    return start_listening([sys.executable, str(ROOT / "relay.py"), "serve", "--port", "0",
                            "--upstream-anthropic", fake_url], env=env)


def report(args, result, direct, page_stats, samples, rows, open_rows, turns, db_bytes, stop_seconds):
    print(f"soak: {args.streams} streams x {args.minutes} min, each exchange spaced-{args.gap}-{args.events}, "
          f"history on, {args.pages} page(s) polled/s; load avg at end {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} cores")
    print(f"{'interval':>9} {'done':>7} {'ex/s':>7} {'ttfb p50':>9} {'p99':>8} {'direct p50':>11} "
          f"{'added p50':>10} {'added p99':>10} {'rss MB':>7} {'cpu%':>6}")
    for bucket in sorted(result["ttfb"], key=int):
        relayed = result["ttfb"][bucket]
        probe = direct["ttfb"].get(bucket) or [float("nan")]
        lo, hi = int(bucket) * args.interval, (int(bucket) + 1) * args.interval
        window = [s for s in samples if lo <= s[0] < hi] or samples[-1:]
        rss = max(s[1] for s in window) / 2**20
        cpu = sum(s[2] for s in window) / len(window)
        d50, d99 = pct(probe, 50), pct(probe, 99)
        print(f"{lo:>7.0f}s {len(relayed):>7} {len(relayed) / args.interval:>7.1f} {pct(relayed, 50):>8.1f}ms "
              f"{pct(relayed, 99):>6.1f}ms {d50:>9.1f}ms {pct(relayed, 50) - d50:>8.1f}ms "
              f"{pct(relayed, 99) - d99:>8.1f}ms {rss:>7.1f} {cpu:>6.0f}")
    rss_series = [s[1] / 2**20 for s in samples]
    half = len(rss_series) // 2
    if half:
        print(f"rss: first half max {max(rss_series[:half]):.1f} MB, second half max {max(rss_series[half:]):.1f} MB "
              f"(growth {max(rss_series[half:]) - max(rss_series[:half]):+.1f} MB)")
    print(f"exchanges sent {result['sent']}, completed {result['ok']}, client errors {result['errors'] or 'none'}")
    print(f"rows in the DB {rows} ({'equal' if rows == result['sent'] else 'DIFFERENT'} to exchanges sent), "
          f"left open {open_rows}, history turns {turns}; DB {db_bytes / 2**20:.1f} MB; "
          f"relay took {stop_seconds:.1f}s to stop")
    print(f"pages: {page_stats['ok']} fetched, {page_stats['failed']} failed")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--quick", action="store_true", help="50 streams for 20 s")
    parser.add_argument("--gap", type=int, default=100, help="ms between events of a stream")
    parser.add_argument("--events", type=int, default=10, help="text deltas per stream")
    parser.add_argument("--interval", type=float, default=None, help="report interval, s")
    parser.add_argument("--ramp", type=float, default=200, help="streams started per second")
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--_role", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._role:
        role, *rest = args._role
        if role == "load":
            url, streams, seconds, interval, scenario, ramp = rest
            return load_client(url, int(streams), float(seconds), float(interval), scenario, float(ramp))
        return pages_client(rest[0], float(rest[1]), int(rest[2]))
    if args.quick:
        args.streams, args.minutes = 50, 1 / 3
    args.interval = args.interval or max(5.0, args.minutes * 60 / 10)
    raise_nofile(2 * args.streams + 512)
    run(args)


if __name__ == "__main__":
    main()
