"""Live pages: how fast a bus event reaches a subscriber, and 200 open SSE clients while the proxy streams.

    python bench/sse_latency.py                 # 200 requests, 200 clients (about a minute)
    python bench/sse_latency.py --quick         # a smoke run

Processes: tests/fake_upstream.py (streams a short Messages reply), a real `relay serve` on
127.0.0.1:0 with its own temp RELAY_HOME, and this process as the clients.

1. Publish-to-subscriber: one raw SSE client (/api/v1/events) and one dashboard client
   (?page=dashboard: HTML fragments rendered from the partials, after the store committed the
   row). Latency = the moment the client's recv() completed the event - the event's `ts` (set by
   relay's bus at publish; one machine, one clock). Requests are sent one after another.
2. Publish-to-browser: headless Chromium opens /dashboard/ (live.js swaps fragments in) and a
   listener added over CDP notes Date.now() - ts for every fragments event of its own EventSource.
3. 200 clients: 200 dashboard SSE connections held open (one selector loop here) while the
   proxy streams requests; reported: proxied request time with and without the clients, events
   received per client (all expected), and event latency at the clients. Trailing aggregate
   updates (relay coalesces the day's numbers to one render per 0.5 s) carry no bus event and
   are counted apart.
Numbers only; the target (p50 <= 100 ms) is printed next to them.
"""
import argparse
import json
import os
import selectors
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.fake_upstream import FakeUpstream  # noqa: E402
from tests.proxy.conftest import messages_body  # noqa: E402
from tests.relay_process import RelayProcess  # noqa: E402


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def fmt(values):
    ms = [v * 1000 for v in values]
    return (f"p50 {pct(ms, 50):7.1f} ms  p99 {pct(ms, 99):7.1f} ms  "
            f"max {max(ms) if ms else float('nan'):7.1f} ms  (n={len(ms)})")


class Clients:
    """N SSE connections on one selector loop; records (recv time - event ts) per data line."""

    def __init__(self, port, path, count):
        self.selector = selectors.DefaultSelector()
        self.latencies, self.events, self.trailing = [], {}, 0
        self.stop = False
        for i in range(count):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, [i, b""])
            self.events[i] = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop:
            for key, _ in self.selector.select(0.2):
                try:
                    data = key.fileobj.recv(1 << 16)
                except BlockingIOError:
                    continue
                now = time.time()
                state = key.data
                state[1] += data
                *lines, state[1] = state[1].split(b"\n")
                for line in lines:
                    if line.startswith(b"data: {"):
                        try:
                            payload = json.loads(line[6:])
                        except ValueError:
                            continue
                        if payload.get("kind") == "aggregate":   # a trailing update, not a bus event
                            self.trailing += 1
                            continue
                        self.latencies.append(now - payload["ts"])
                        self.events[state[0]] += 1

    def close(self):
        self.stop = True
        self.thread.join()
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()


def post(url, session="bench"):
    t = time.perf_counter()
    r = requests.post(url + "/v1/messages", data=messages_body(), timeout=30,
                      headers={"content-type": "application/json", "x-claude-code-session-id": session})
    r.raise_for_status()
    return time.perf_counter() - t


def wait_subscribers(url, n, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if requests.get(url + "/api/v1/health", timeout=5).json()["live"]["subscribers"] >= n:
            return
        time.sleep(0.05)
    raise SystemExit(f"only {requests.get(url + '/api/v1/health').json()['live']['subscribers']} of {n} subscribed")


def single(relay, n):
    raw = Clients(relay.port, "/api/v1/events", 1)
    page = Clients(relay.port, "/api/v1/events?page=dashboard", 1)
    wait_subscribers(relay.url, 2)
    for _ in range(n):
        post(relay.url)
    time.sleep(0.5)
    raw.close()
    page.close()
    print(f"1. publish -> subscriber, raw JSON events:        {fmt(raw.latencies)}")
    print(f"   publish -> subscriber, dashboard fragments:    {fmt(page.latencies)}   target p50 <= 100 ms")


def browser(relay, n):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("2. publish -> browser: playwright is not installed (pip install -r requirements-dev.txt)")
        return
    if not os.path.exists("/usr/bin/chromium"):
        print("2. publish -> browser: /usr/bin/chromium is missing (apt-get install chromium)")
        return
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", env={"HOME": tempfile.mkdtemp()},
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = b.new_page()
        page.goto(relay.url + "/dashboard/")
        page.evaluate("""() => { window.__lat = [];
            const es = new EventSource('/api/v1/events?page=dashboard');
            es.addEventListener('fragments', e => { const d = JSON.parse(e.data);
                if (d.kind !== 'aggregate') window.__lat.push(Date.now() / 1000 - d.ts); }); }""")
        before = requests.get(relay.url + "/api/v1/health", timeout=5).json()["live"]["subscribers"]
        wait_subscribers(relay.url, max(before, 2))
        for _ in range(n):
            post(relay.url)
        time.sleep(0.5)
        latencies = page.evaluate("window.__lat")
        rows = page.locator("#requests-rows tr").count()
        b.close()
    print(f"2. publish -> Chromium EventSource (dashboard):   {fmt(latencies)}   target p50 <= 100 ms"
          f"  (rows on the live page: {rows})")


def crowd(relay, clients, n):
    base = [post(relay.url, "warm") for _ in range(n)]
    crowd_ = Clients(relay.port, "/api/v1/events?page=dashboard&heartbeat=5", clients)
    wait_subscribers(relay.url, clients)
    loaded = [post(relay.url, "crowd") for _ in range(n)]
    time.sleep(1.0)
    crowd_.close()
    expected = 2 * n
    complete = sum(1 for c in crowd_.events.values() if c >= expected)
    print(f"3. {clients} dashboard SSE clients open while the proxy streams {n} requests:")
    print(f"   proxied request time, no clients:     {fmt(base)}")
    print(f"   proxied request time, {clients} clients:  {fmt(loaded)}")
    print(f"   clients that got all {expected} events: {complete}/{clients}")
    print(f"   event latency at the clients:         {fmt(crowd_.latencies)}")
    print(f"   trailing aggregate updates received:  {crowd_.trailing} (coalesced; not counted above)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.clients = 20, 50
    os.environ["RELAY_HOME"] = tempfile.mkdtemp(prefix="relay-bench-")
    upstream = FakeUpstream().start()
    relay = RelayProcess(upstream.url).start()
    try:
        single(relay, args.requests)
        browser(relay, min(args.requests, 100))
        crowd(relay, args.clients, min(args.requests, 50))
    finally:
        relay.stop()
        upstream.stop()


if __name__ == "__main__":
    main()
