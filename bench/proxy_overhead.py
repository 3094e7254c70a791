"""What relay adds on the wire: time to first byte, per-event delay, and long-lived streams held.

    python bench/proxy_overhead.py                      # full size (about 3 minutes)
    python bench/proxy_overhead.py --quick              # a smoke run (about 30 s)
    python bench/proxy_overhead.py --requests 2000 --streams 100,500,1000 --hold 20
    python bench/proxy_overhead.py --fake tests         # TTFB against tests/fake_upstream.py instead

Processes: a fake upstream (bench/fast_upstream.py, raw gevent sockets answering canned SSE, so
the fake's own jitter stays out of the numbers), a real `relay serve` subprocess, and the load
generator (this process for 1 and 2, a gevent subprocess for 3). All on 127.0.0.1.

1. Added TTFB, per provider mount (--providers). Anthropic: streaming POST
   /v1/messages?beta=true with the 49 KB body and the headers of
   ../shared/fixtures/claude-code/request-001-text.json; OpenAI: Codex's POST /v1/responses
   (../shared/fixtures/codex/request-001-text.json, 39 KB) sent to relay as /openai/v1/responses;
   Gemini: the Gemini CLI's streamGenerateContent?alt=sse (../shared/fixtures/gemini/
   request-002-text.json, 39 KB) sent to relay under /gemini; ChatGPT (Codex with a ChatGPT login):
   POST /backend-api/codex/responses (../shared/fixtures/codex-chatgpt/015-..., 57 KB) as is; Code
   Assist (Gemini CLI with a Google login): the recorded body (../shared/fixtures/gemini-code-assist/
   013-..., 6 KB) streamed at /v1internal:streamGenerateContent?alt=sse as is; the fake answers each in its format,
   over one keep-alive connection per path (direct to the fake, through relay), interleaved ABBA so
   drift hits both paths alike. TTFB is from the first byte of the request sent to the recv() that
   returns the first byte of response body (chunk data, after the status line and headers).
   Added = relayed - direct, per percentile.
2. Per-event delay. Streams of N text deltas M ms apart; the fake writes the CLOCK_MONOTONIC ns
   at which it handed each event to its socket into the event, the client notes when the recv()
   completing that event's chunk returned (same clock, system-wide). Added delay per relayed
   event = its latency - the latency of the same event on a direct stream the fake fed at the
   same moments (both read by one selector loop here), so noise common to both paths cancels.
3. Streams held. A fresh relay per level; N clients (ramped at --ramp per second) each hold one
   stream the fake feeds one event per second for --hold seconds. Reported: streams that got
   every byte and the final chunk, peak simultaneously open, the longest gap between two events
   at a client, relay's CPU% (100% = one core; averaged while all N were open), RSS, and how
   long after the first connect the last stream got its first byte (the ramp alone is N/--ramp).
Numbers only: nothing here asserts; the targets are printed next to the numbers.
"""
import argparse
import gc
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures"
FIXTURE = FIXTURES / "claude-code" / "request-001-text.json"
# provider -> (the recorded request of its CLI, relay's mount prefix for it)
PROVIDERS = {"anthropic": (FIXTURE, ""),
             "openai": (FIXTURES / "codex" / "request-001-text.json", "/openai"),
             "gemini": (FIXTURES / "gemini" / "request-002-text.json", "/gemini"),
             # the subscription logins' mounts take the upstream path as is
             "chatgpt": (FIXTURES / "codex-chatgpt" / "015-POST-backend-api_codex_responses.json", ""),
             "code_assist": (FIXTURES / "gemini-code-assist" / "013-POST-v1internal_generateContent.json", "")}
# The recorded Code Assist call is the router's generateContent; the benchmark streams, as a turn does.
PATHS = {"code_assist": "/v1internal:streamGenerateContent?alt=sse"}
_STAMP = re.compile(rb'"text":"t(\d+)"')
_SKIP_HEADERS = {"host", "content-length", "connection"}


# --- the request -----------------------------------------------------------------------------
def request_bytes(url, scenario=None, fixture=FIXTURE, mount="", path=None):
    """The fixture's request (headers and compact JSON body, stream on) for `url`'s host, its
    path under `mount`. Gemini's stream flag is in its path, not its body."""
    record = json.loads(Path(fixture).read_text())
    body = dict(record["body"]) if "contents" in record["body"] else dict(record["body"], stream=True)
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    host = urlsplit(url).netloc
    lines = [f"{record['method']} {mount}{path or record['path']} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in record["headers"].items() if k.lower() not in _SKIP_HEADERS]
    if scenario:
        lines.append(f"x-fake-scenario: {scenario}")
    lines += ["Connection: keep-alive", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def connect(url, sock_module=socket, timeout=60):
    parts = urlsplit(url)
    sock = sock_module.create_connection((parts.hostname, parts.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Response:
    __slots__ = ("status", "t_first", "chunks", "leftover")

    def __init__(self):
        self.status, self.t_first, self.chunks, self.leftover = 0, None, [], b""

    @property
    def body(self):
        return b"".join(c for c, _ in self.chunks)


def read_response(sock, buf=b"", clock=time.perf_counter_ns):
    """Read one chunked (or Content-Length) response. Records when the recv() delivering the
    first body byte returned (t_first) and, per chunk, when the recv() completing it returned."""
    buf = bytearray(buf)
    ends = []   # (len(buf) after a recv, its time): the arrival time of any byte offset

    def more():
        data = sock.recv(262144)
        if not data:
            raise ConnectionError("connection closed mid-response")
        buf.extend(data)
        ends.append((len(buf), clock()))

    def arrival(offset):
        for end, t in ends:
            if end > offset:
                return t
        return ends[-1][1] if ends else clock()

    resp = Response()
    while (i := buf.find(b"\r\n\r\n")) < 0:
        more()
    head = bytes(buf[:i]).split(b"\r\n")
    resp.status = int(head[0].split(b" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    pos = i + 4
    if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        while True:
            while (j := buf.find(b"\r\n", pos)) < 0:
                more()
            size = int(bytes(buf[pos:j]).split(b";")[0], 16)
            pos = j + 2
            if size == 0:
                while len(buf) < pos + 2:
                    more()
                pos += 2
                break
            if resp.t_first is None:
                while len(buf) <= pos:
                    more()
                resp.t_first = arrival(pos)
            while len(buf) < pos + size + 2:
                more()
            resp.chunks.append((bytes(buf[pos:pos + size]), arrival(pos + size - 1)))
            pos += size + 2
    else:
        length = int(headers.get(b"content-length", b"0"))
        while len(buf) < pos + length:
            more()
        if length:
            resp.t_first = arrival(pos)
            resp.chunks.append((bytes(buf[pos:pos + length]), arrival(pos + length - 1)))
        pos += length
    resp.leftover = bytes(buf[pos:])
    return resp


# --- processes -------------------------------------------------------------------------------
def _die_with_parent():
    """In the child, before exec: SIGTERM when the benchmark dies (Linux), so no fake or relay
    outlives a crashed run."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def popen(args, **kwargs):
    return subprocess.Popen(args, cwd=str(ROOT), preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                            **kwargs)


def start_listening(args, env=None, timeout=30):
    """Start a subprocess that prints `listening URL` on stdout; returns (proc, url)."""
    proc = popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env,
                 text=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("listening "):
            return proc, line.split()[1]
        if not line and proc.poll() is not None:
            break
    stop(proc)
    raise RuntimeError(f"{args} did not start")


def stop(proc, timeout=15):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_fake(kind):
    if kind == "tests":
        return start_listening([sys.executable, "-m", "tests.fake_upstream", "0"])
    return start_listening([sys.executable, str(ROOT / "bench" / "fast_upstream.py"), "0"])


RELAY_ROOT = ROOT   # --relay-root: benchmark another checkout (before/after comparisons)


def start_relay(upstream_url, home):
    # relay's defaults (no pruning, gevent), whatever RELAY_* the caller's shell has set
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_") and k != "ANTHROPIC_BASE_URL"}
    env.update(RELAY_HOME=str(home), RELAY_LOG_LEVEL="warning", PYTHONUNBUFFERED="1")
    args = [sys.executable, str(RELAY_ROOT / "relay.py"), "serve", "--port", "0", "--upstream-anthropic", upstream_url]
    proxy = RELAY_ROOT / "relay" / "proxy"
    if (proxy / "mounts.py").exists() or (proxy / "routes.py").exists():   # a checkout with the OpenAI/Gemini mounts
        args += ["--upstream-openai", upstream_url, "--upstream-gemini", upstream_url]
    if "upstream_chatgpt" in (RELAY_ROOT / "relay" / "config.py").read_text():   # the subscription mounts
        args += ["--upstream-chatgpt", upstream_url, "--upstream-code-assist", upstream_url]
    return start_listening(args, env=env)


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need if hard == resource.RLIM_INFINITY else min(need, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def pct(values, p):
    """The p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


# --- 1. added time to first byte -------------------------------------------------------------
def _cpu_seconds(pid):
    import psutil
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def bench_ttfb(urls, relay_pid, requests, warmup, provider="anthropic"):
    """urls: {"direct": fake, "null hop": null proxy, "relay": relay}; one keep-alive connection
    each, the order rotated through every permutation so drift hits all paths alike. Only relay
    is addressed under the provider's mount; the fake and the null hop take the upstream path."""
    import itertools
    fixture, mount = PROVIDERS[provider]
    paths = list(urls)
    orders = list(itertools.permutations(paths))
    conns = {p: connect(u) for p, u in urls.items()}
    reqs = {p: request_bytes(u, fixture=fixture, mount=mount if p == "relay" else "", path=PATHS.get(provider))
            for p, u in urls.items()}
    bufs = dict.fromkeys(paths, b"")
    samples = {p: [] for p in paths}
    bodies = {}
    gc.collect()
    gc.disable()
    cpu = None
    try:
        for i in range(warmup + requests):
            if i == warmup:
                cpu = _cpu_seconds(relay_pid)
            for path in orders[i % len(orders)]:
                sock = conns[path]
                t0 = time.perf_counter_ns()
                sock.sendall(reqs[path])
                resp = read_response(sock, bufs[path])
                bufs[path] = resp.leftover
                if resp.status != 200:
                    raise RuntimeError(f"{path}: status {resp.status}")
                if i >= warmup:
                    samples[path].append((resp.t_first - t0) / 1e6)
                bodies.setdefault(path, [c for c, _ in resp.chunks])
        cpu = (_cpu_seconds(relay_pid) - cpu) / requests
    finally:
        gc.enable()
        for sock in conns.values():
            sock.close()
    return samples, bodies["direct"] == bodies["relay"], cpu


# --- 2. per-event delay ----------------------------------------------------------------------
class ChunkParser:
    """Incremental parser of one chunked response: feed(data, t) returns the chunks completed,
    each with the time of the feed that completed it."""

    def __init__(self):
        self.buf, self.head_done, self.done, self.size = b"", False, False, None

    def feed(self, data, t):
        self.buf += data
        out = []
        while not self.done:
            if not self.head_done:
                i = self.buf.find(b"\r\n\r\n")
                if i < 0:
                    break
                self.buf, self.head_done = self.buf[i + 4:], True
            elif self.size is None:
                i = self.buf.find(b"\r\n")
                if i < 0:
                    break
                self.size, self.buf = int(self.buf[:i].split(b";")[0], 16), self.buf[i + 2:]
                if self.size == 0:
                    self.done = True
            elif len(self.buf) >= self.size + 2:
                out.append((self.buf[:self.size], t))
                self.buf, self.size = self.buf[self.size + 2:], None
            else:
                break
        return out


def bench_events(urls, streams, events, gap_ms):
    """Each round, one stream per path (direct, null hop, relay) whose events the fake sends at
    the same moments; per event, added = latency through a path - latency direct (same event
    index), so what disturbs all paths alike (this process or the fake descheduled) cancels."""
    import selectors
    paths = list(urls)
    conns = {p: connect(u) for p, u in urls.items()}
    latency = {p: [] for p in paths}
    added = {p: [] for p in paths if p != "direct"}
    same_chunks = True
    sel = selectors.DefaultSelector()
    for path, sock in conns.items():
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, path)
    for _ in range(streams):
        t0 = time.monotonic_ns() + 30_000_000   # all requests are in well before the first event
        scenario = f"spaced-{gap_ms}-{events}-{t0}"
        for path, url in urls.items():
            conns[path].setblocking(True)
            conns[path].sendall(request_bytes(url, scenario))
            conns[path].setblocking(False)
        parsers = {p: ChunkParser() for p in paths}
        chunks = {p: [] for p in paths}
        while not all(p.done for p in parsers.values()):
            for key, _ in sel.select(timeout=30):
                data = key.fileobj.recv(262144)
                t = time.monotonic_ns()
                if not data:
                    raise ConnectionError(f"{key.data}: connection closed mid-stream")
                chunks[key.data] += parsers[key.data].feed(data, t)
        stamped = {}
        for path in paths:
            stamped[path] = [(t - int(m.group(1))) / 1e6 for data, t in chunks[path]
                             for m in [_STAMP.search(data)] if m]
            latency[path] += stamped[path]
        for path in added:
            added[path] += [r - d for d, r in zip(stamped["direct"], stamped[path])]
        # Stamps differ per stream, so compare the chunk boundaries.
        same_chunks &= [len(c) for c, _ in chunks["direct"]] == [len(c) for c, _ in chunks["relay"]]
    for sock in conns.values():
        sock.close()
    return latency, added, same_chunks


# --- 3. streams held (client subprocess) -----------------------------------------------------
def stream_client(relay_url, n, hold, ramp):
    """Runs in its own process: n gevent clients, each holding one stream; prints one JSON line."""
    import gevent
    from gevent import socket as gsocket
    raise_nofile(n + 256)
    req = request_bytes(relay_url, f"hold-{hold}")
    state = {"open": 0, "peak": 0, "first": 0, "completed": 0, "errors": {}, "max_gap": 0.0,
             "t_all_open": None, "t_first_done": None}

    def opened():
        state["open"] += 1
        state["first"] += 1
        state["peak"] = max(state["peak"], state["open"])
        if state["first"] == n:
            state["t_all_open"] = time.monotonic()

    def error(name):
        state["errors"][name] = state["errors"].get(name, 0) + 1

    def one(i):
        gevent.sleep(i / ramp)
        tap = None
        try:
            sock = connect(relay_url, gsocket, timeout=hold + 120)
            try:
                sock.sendall(req)
                tap = _OpenTap(sock, opened)
                resp = read_response(tap, clock=time.monotonic_ns)
            finally:
                sock.close()
            times = [t for _, t in resp.chunks]
            gaps = [(b - a) / 1e9 for a, b in zip(times, times[1:])]
            state["max_gap"] = max([state["max_gap"]] + gaps)
            if resp.status == 200 and resp.chunks and b"message_stop" in resp.chunks[-1][0]:
                state["completed"] += 1
            else:
                error(f"status {resp.status}")
        except Exception as exc:  # noqa: BLE001 - counted and reported
            error(type(exc).__name__)
        finally:
            if tap is not None and tap.seen:
                state["open"] -= 1
                if state["t_first_done"] is None:
                    state["t_first_done"] = time.monotonic()

    started = state["t_start"] = time.monotonic()
    gevent.joinall([gevent.spawn(one, i) for i in range(n)], timeout=hold + n / ramp + 180)
    state["elapsed"] = time.monotonic() - started
    state["n"] = n
    print(json.dumps(state), flush=True)


class _OpenTap:
    """A socket wrapper calling on_first() once, when the first recv() returns data."""

    def __init__(self, sock, on_first):
        self._sock, self._on_first, self.seen = sock, on_first, False

    def recv(self, size):
        data = self._sock.recv(size)
        if data and not self.seen:
            self.seen = True
            self._on_first()
        return data


def bench_streams(fake_url, levels, hold, ramp, home):
    import psutil
    results = []
    for n in levels:
        raise_nofile(2 * n + 512)
        proc, relay_url = start_relay(fake_url, home / f"streams-{n}")
        try:
            p = psutil.Process(proc.pid)
            time.sleep(0.5)
            idle_rss = p.memory_info().rss
            p.cpu_percent(None)
            client = popen([sys.executable, __file__, "--_stream-client", relay_url, str(n), str(hold), str(ramp)],
                           stdout=subprocess.PIPE, text=True)
            samples = []   # (monotonic, cpu%, rss, fds)
            while client.poll() is None:
                time.sleep(0.5)
                try:
                    samples.append((time.monotonic(), p.cpu_percent(None), p.memory_info().rss, p.num_fds()))
                except psutil.Error:
                    break
            out = json.loads(client.stdout.read().strip().splitlines()[-1])
        finally:
            stop(proc)
        t0, t1 = out["t_all_open"], out["t_first_done"]
        window = [s for s in samples if t0 is not None and t1 is not None and t0 + 0.5 <= s[0] <= t1]
        cpu = statistics.mean(s[1] for s in window) if window else float("nan")
        out.update(idle_rss=idle_rss, peak_rss=max(s[2] for s in samples), cpu_steady=cpu,
                   cpu_peak=max(s[1] for s in samples), peak_fds=max(s[3] for s in samples))
        results.append(out)
    return results


# --- report ----------------------------------------------------------------------------------
def _mark(ok):
    return "ok  " if ok else "MISS"


def report_ttfb(samples, same_body, cpu, provider="anthropic"):
    d, r = samples["direct"], samples["relay"]
    fixture, mount = PROVIDERS[provider]
    size = len(json.dumps(json.loads(Path(fixture).read_text())["body"], separators=(",", ":"))) // 1024
    print(f"\n1. [{provider}, relay mount '{mount or '/'}'] Time to first body byte, {len(d)} streaming POSTs "
          f"per path ({size} KB body, keep-alive, order rotated)")
    print(f"   {'':24}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, v in samples.items():
        print(f"   {name:24}{pct(v, 50):10.3f}{pct(v, 90):10.3f}{pct(v, 99):10.3f}{max(v):10.3f}")
    for name, a, b in (("added: relay - direct", r, d), ("  of it, the hop itself", samples.get("null hop"), d),
                       ("  of it, relay's own", r, samples.get("null hop"))):
        if a is not None and b is not None:
            print(f"   {name:24}{pct(a, 50) - pct(b, 50):10.3f}{pct(a, 90) - pct(b, 90):10.3f}"
                  f"{pct(a, 99) - pct(b, 99):10.3f}")
    print(f"   relayed body identical to direct, chunk for chunk: {same_body}; "
          f"relay CPU per request: {cpu * 1e6:.0f} us (user+sys, whole exchange incl. recording)")
    a50, a99 = pct(r, 50) - pct(d, 50), pct(r, 99) - pct(d, 99)
    return [(f"{provider} added TTFB p50", f"{a50:.3f} ms", "<= 1 ms", a50 <= 1),
            (f"{provider} added TTFB p99", f"{a99:.3f} ms", "<= 5 ms", a99 <= 5)]


def report_events(latency, added, same_chunks, gap_ms):
    n = len(latency["relay"])
    print(f"\n2. Per-event latency, upstream write -> client recv, {n} events per path ({gap_ms} ms apart)")
    print(f"   {'':24}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, v in latency.items():
        print(f"   {name:24}{pct(v, 50):10.3f}{pct(v, 99):10.3f}{max(v):10.3f}")
    for path, v in added.items():
        print(f"   {'added: ' + path:24}{pct(v, 50):10.3f}{pct(v, 99):10.3f}{max(v):10.3f}   (paired per event)")
    print(f"   same chunk boundaries as direct: {same_chunks}")
    a = added["relay"]
    return [("added per-event p50", f"{pct(a, 50):.3f} ms", "<= 1 ms", pct(a, 50) <= 1),
            ("added per-event p99", f"{pct(a, 99):.3f} ms", "<= 1 ms", pct(a, 99) <= 1),
            ("added per-event max", f"{max(a):.3f} ms", "(info)", None)]


def report_streams(results, hold):
    print(f"\n3. Long-lived streams through relay (one event/s for {hold} s each; fresh relay per level)")
    print(f"   {'streams':>8}{'completed':>11}{'peak open':>11}{'max gap s':>11}{'CPU% steady':>13}"
          f"{'CPU% peak':>11}{'RSS idle MB':>13}{'RSS peak MB':>13}{'KB/stream':>11}{'all open s':>12}  errors")
    rows = []
    for o in results:
        per = (o["peak_rss"] - o["idle_rss"]) / 1024 / o["n"]
        print(f"   {o['n']:>8}{o['completed']:>11}{o['peak']:>11}{o['max_gap']:>11.2f}{o['cpu_steady']:>13.1f}"
              f"{o['cpu_peak']:>11.1f}{o['idle_rss'] / 2**20:>13.1f}{o['peak_rss'] / 2**20:>13.1f}{per:>11.1f}"
              f"{(o['t_all_open'] or float('nan')) - o['t_start']:>12.1f}  {o['errors'] or '-'}")
        held = o["completed"] == o["n"] and o["peak"] == o["n"]
        rows.append((f"{o['n']} streams held", f"{o['completed']}/{o['n']} done, peak {o['peak']} open",
                     "all", held))
        if o["n"] >= 1000:
            rows.append((f"{o['n']} streams RSS", f"{o['peak_rss'] / 2**20:.0f} MB", "< 300 MB",
                         o["peak_rss"] < 300 * 2**20))
    return rows


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--_stream-client":
        return stream_client(argv[1], int(argv[2]), int(argv[3]), float(argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="TTFB samples per path (default 2000)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--event-streams", type=int, default=20, help="spaced streams per path (default 20)")
    parser.add_argument("--events", type=int, default=20, help="events per spaced stream (default 20)")
    parser.add_argument("--gap-ms", type=int, default=50, help="ms between spaced events (default 50)")
    parser.add_argument("--streams", default="100,500,1000", help="concurrent stream levels (default 100,500,1000)")
    parser.add_argument("--hold", type=int, default=20, help="seconds each long stream lasts (default 20)")
    parser.add_argument("--ramp", type=float, default=250, help="new streams per second (default 250)")
    parser.add_argument("--fake", choices=("fast", "tests"), default="fast",
                        help="fake upstream: bench/fast_upstream.py, or tests/fake_upstream.py (TTFB only)")
    parser.add_argument("--only", default="ttfb,events,streams", help="parts to run (default all)")
    parser.add_argument("--relay-root", metavar="DIR", help="the relay checkout to run (default: this one)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--providers", default="anthropic,openai,gemini,chatgpt,code_assist",
                        help="provider mounts measured by the TTFB part (default anthropic,openai,gemini,chatgpt,"
                             "code_assist)")
    args = parser.parse_args(argv)
    if args.relay_root:
        global RELAY_ROOT
        RELAY_ROOT = Path(args.relay_root).resolve()
    if args.quick:
        args.requests, args.warmup, args.event_streams = min(args.requests, 300), 30, 2
        args.streams, args.hold = "100", 5
    parts = set(args.only.split(","))
    if args.fake == "tests":
        parts &= {"ttfb"}
    levels = [int(x) for x in args.streams.split(",") if x.strip()]
    raise_nofile(2 * max(levels or [0]) + 512)
    home = Path(tempfile.mkdtemp(prefix="relay-bench-proxy-"))
    fake, fake_url = start_fake(args.fake)
    rows = []
    load = os.getloadavg()
    print(f"relay proxy overhead ({RELAY_ROOT}): python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, fake upstream: "
          f"{'bench/fast_upstream.py (gevent, canned SSE)' if args.fake == 'fast' else 'tests/fake_upstream.py'}")
    try:
        if parts & {"ttfb", "events"}:
            relay, relay_url = start_relay(fake_url, home / "relay")
            null, null_url = start_listening([sys.executable, str(ROOT / "bench" / "null_proxy.py"), fake_url])
            urls = {"direct": fake_url, "null hop": null_url, "relay": relay_url}
            try:
                for provider in (p.strip() for p in args.providers.split(",") if p.strip()):
                    if "ttfb" not in parts:
                        break
                    if provider not in PROVIDERS:
                        parser.error(f"--providers: unknown provider {provider!r} (known: {', '.join(PROVIDERS)})")
                    samples, same, cpu = bench_ttfb(urls, relay.pid, args.requests, args.warmup, provider)
                    rows += report_ttfb(samples, same, cpu, provider)
                if "events" in parts and args.fake == "fast":
                    latency, added, same = bench_events(urls, args.event_streams, args.events, args.gap_ms)
                    rows += report_events(latency, added, same, args.gap_ms)
            finally:
                stop(null)
                stop(relay)
        if "streams" in parts and levels:
            rows += report_streams(bench_streams(fake_url, levels, args.hold, args.ramp, home), args.hold)
    finally:
        stop(fake)
        shutil.rmtree(home, ignore_errors=True)
    print(f"\nload average (1 min) at start {load[0]:.2f}, at end {os.getloadavg()[0]:.2f}: anything else running on "
          f"the {os.cpu_count()} cores shows up in the tails")
    print("\nTargets")
    for name, value, target, ok in rows:
        mark = "    " if ok is None else _mark(ok)
        print(f"   {mark} {name:24}{value:>34}   target {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
