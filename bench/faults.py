"""The hardening faults at full size (tests/hardening runs them small): prints numbers only.

    python bench/faults.py                  # everything below
    python bench/faults.py --only event     # event | bomb | kill
    python bench/faults.py --event-mb 100 --bomb-mb 1024 --kill-runs 3 --kill-seconds 5 --clients 24

- event: one upstream SSE event of --event-mb MB (sent in 64 KB chunks) while another client
  streams ten deltas 20 ms apart, back to back: the big exchange's duration, and the longest gap
  between two chunks of the other stream while the big one was relayed (a stall of every other
  stream shows there), plus whether the big exchange's usage was read.
- bomb: a gzip stream that expands to --bomb-mb MB (about 1/1000 of that on the wire), with the
  default side_decode_limit_mb (256): the client's bytes vs upstream's, relay's peak RSS growth
  (VmHWM), the time, and the row's note.
- kill: --clients clients send requests back to back for --kill-seconds, then relay is SIGKILLed;
  after a restart (which replays the journal) the completed requests (the client read the last
  byte) are compared with the finished rows: lost = completed without a row. --kill-runs runs,
  against bench/fast_upstream.py (fast enough for the store's writer to lag).
The other faults use the tests' fake upstream (tests/fake_upstream.py) in this process.
"""
import argparse
import contextlib
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.proxy_overhead import start_fake, stop  # noqa: E402
from tests.fake_upstream import FakeUpstream  # noqa: E402
from tests.proxy.conftest import messages_body  # noqa: E402
from tests.relay_process import RelayProcess  # noqa: E402


def _env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_")}
    env.update(HOME=str(home / "home"), RELAY_HOME=str(home / "relay-home"),
               RELAY_CLAUDE_HOME=str(home / "claude"), RELAY_CODEX_HOME=str(home / "codex"),
               RELAY_GEMINI_HOME=str(home / "gemini"))
    return env


def _post(url, scenario=None, stream=True, session=None, timeout=600):
    headers = {"content-type": "application/json"}
    if scenario:
        headers["x-fake-scenario"] = scenario
    if session:
        headers["x-claude-code-session-id"] = session
    return requests.post(url + "/v1/messages", data=messages_body(stream=stream), headers=headers, stream=True,
                         timeout=timeout)


def _peak_rss(pid):
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))


def _rows(url, count, timeout=60):
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        rows = [r for r in requests.get(url + "/api/v1/requests", params={"limit": 100}, timeout=10).json()["requests"]
                if r["outcome"] is not None]
        if len(rows) >= count:
            break
        time.sleep(0.1)
    return rows


def bench_event(upstream, home, megabytes):
    with RelayProcess(upstream.url, env=_env(home)) as relay:
        stop, gaps, during = threading.Event(), [], threading.Event()

        def other():
            while not stop.is_set():
                with _post(relay.url, "spaced-20") as resp:
                    last = time.perf_counter()
                    for _chunk in resp.raw.stream(65536, decode_content=False):
                        now = time.perf_counter()
                        if during.is_set():
                            gaps.append(now - last)
                        last = now
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(1)
        during.set()
        t0 = time.perf_counter()
        with _post(relay.url, f"huge-event-{megabytes}") as resp:
            size = sum(len(c) for c in resp.raw.stream(1 << 20, decode_content=False))
        took = time.perf_counter() - t0
        during.clear()
        stop.set()
        thread.join(60)
        rows = [r for r in _rows(relay.url, 2) if (r["response_bytes"] or 0) > megabytes << 19]
        usage = rows[0]["output_tokens"] if rows else None
    print(f"event {megabytes} MB: relayed {size / 1e6:.1f} MB in {took:.2f} s "
          f"({size / 1e6 / took:.0f} MB/s); other stream's longest gap meanwhile {max(gaps, default=0) * 1000:.0f} ms "
          f"(its events are 20 ms apart); usage read: output_tokens={usage}")


def bench_bomb(upstream, home, megabytes):
    with RelayProcess(upstream.url, env=_env(home)) as relay:
        before = _peak_rss(relay.proc.pid)
        t0 = time.perf_counter()
        with _post(relay.url, f"bomb-{megabytes}") as resp:
            got = b"".join(resp.raw.stream(65536, decode_content=False))
        took = time.perf_counter() - t0
        peak = _peak_rss(relay.proc.pid)
        [row] = _rows(relay.url, 1)
    print(f"bomb {megabytes} MB from {len(got) / 1e6:.2f} MB: client bytes identical: {got == upstream.bomb}; "
          f"{took:.1f} s; relay peak RSS {before / 1e6:.0f} -> {peak / 1e6:.0f} MB (+{(peak - before) / 1e6:.0f} MB); "
          f"row: outcome={row['outcome']} note={row['error']!r}")


def bench_kill(upstream_url, home, clients, seconds, run):
    env = _env(home)
    relay = RelayProcess(upstream_url, env=env).start()
    done, lock, stop = [], threading.Lock(), threading.Event()

    def client(n):
        i = 0
        while not stop.is_set():
            sid = f"r{run}-c{n}-{i}"
            i += 1
            try:
                with _post(relay.url, session=sid, timeout=30) as resp:
                    body = b"".join(resp.raw.stream(65536, decode_content=False))
                if resp.status_code == 200 and b"message_stop" in body:
                    with lock:
                        done.append(sid)
            except Exception:  # noqa: BLE001 - relay was killed under this request: not completed
                return
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    with lock:
        completed = list(done)   # every client read its last byte before this line
    relay.proc.send_signal(signal.SIGKILL)
    relay.proc.wait(10)
    stop.set()
    for t in threads:
        t.join(30)
    db = Path(env["RELAY_HOME"]) / "relay.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        before = {r[0] for r in conn.execute("SELECT session_id FROM exchanges WHERE outcome = 'ok'")}
    with RelayProcess(upstream_url, env=env) as again:
        recovered = next((line.split()[2] for line in again.stderr_lines if "recovered" in line), "0")
    with contextlib.closing(sqlite3.connect(db)) as conn:
        after = {r[0] for r in conn.execute("SELECT session_id FROM exchanges WHERE outcome = 'ok'")}
    lost_without = sum(sid not in before for sid in completed)
    lost = sum(sid not in after for sid in completed)
    print(f"kill run {run}: {clients} clients x {seconds} s: {len(completed)} completed before SIGKILL; "
          f"rows committed at the kill {sum(sid in before for sid in completed)} "
          f"(the writer's lag: {lost_without} would be lost without the journal); "
          f"journal replayed {recovered}; lost after restart: {lost}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["event", "bomb", "kill"])
    parser.add_argument("--event-mb", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--bomb-mb", type=int, default=1024)
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--kill-seconds", type=float, default=5)
    parser.add_argument("--kill-runs", type=int, default=3)
    args = parser.parse_args()
    upstream = FakeUpstream().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            if args.only in (None, "event"):
                for mb in args.event_mb:
                    bench_event(upstream, base / f"event-{mb}", mb)
            if args.only in (None, "bomb"):
                bench_bomb(upstream, base / "bomb", args.bomb_mb)
            if args.only in (None, "kill"):
                # bench/fast_upstream.py: the tests' fake (a thread per connection) caps traffic
                # below what makes the store's writer lag
                fast, url = start_fake("fast")
                try:
                    for run in range(args.kill_runs):
                        bench_kill(url, base / f"kill-{run}", args.clients, args.kill_seconds, run)
                finally:
                    stop(fast)
    finally:
        upstream.stop()


if __name__ == "__main__":
    main()
