"""What access tokens add to time to first byte: relay without tokens vs relay with --auth-tokens.

    python bench/auth_overhead.py                 # 2000 streaming POSTs per path
    python bench/auth_overhead.py --requests 300  # a smoke run

Processes: bench/fast_upstream.py, two `relay serve` subprocesses in front of it (relay's defaults;
one started with a tokens file of 50 people, whose requests carry X-Relay-Token), and this load
generator. Each path (direct to the fake, relay, relay with tokens) gets one keep-alive
connection and Claude Code's recorded 49 KB streaming /v1/messages request; the order is rotated
through every permutation so drift hits all paths alike. TTFB is bench/proxy_overhead.py's: from
the first byte sent to the recv() returning the first byte of body. Also timed in-process: the
token check itself (Tokens.person_for: one SHA-256 and a dict lookup, plus the file's stat).
Numbers only: nothing here asserts.
"""
import argparse
import gc
import itertools
import os
import sys
import tempfile
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.proxy_overhead import (  # noqa: E402
    FIXTURE,
    ROOT,
    connect,
    pct,
    read_response,
    request_bytes,
    start_fake,
    start_listening,
    start_relay,
    stop,
)
from relay.web import tokens as tokens_file  # noqa: E402


def start_auth_relay(upstream_url, home, tokens_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_") and k != "ANTHROPIC_BASE_URL"}
    env.update(RELAY_HOME=str(home), RELAY_LOG_LEVEL="warning", PYTHONUNBUFFERED="1")
    return start_listening([sys.executable, str(ROOT / "relay.py"), "serve", "--port", "0",
                            "--upstream-anthropic", upstream_url, "--auth-tokens", str(tokens_path)], env=env)


def with_header(raw, token):
    head, sep, body = raw.partition(b"\r\n\r\n")
    return head + f"\r\nX-Relay-Token: {token}".encode() + sep + body


def run(urls, reqs, requests, warmup):
    names = list(urls)
    orders = list(itertools.permutations(names))
    conns = {n: connect(u) for n, u in urls.items()}
    bufs = dict.fromkeys(names, b"")
    samples = {n: [] for n in names}
    gc.collect()
    gc.disable()
    try:
        for i in range(warmup + requests):
            for name in orders[i % len(orders)]:
                t0 = time.perf_counter_ns()
                conns[name].sendall(reqs[name])
                resp = read_response(conns[name], bufs[name])
                bufs[name] = resp.leftover
                if resp.status != 200:
                    raise RuntimeError(f"{name}: status {resp.status}")
                if i >= warmup:
                    samples[name].append((resp.t_first - t0) / 1e6)
    finally:
        gc.enable()
        for sock in conns.values():
            sock.close()
    return samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="relay-bench-auth-") as tmp:
        tokens_path = Path(tmp) / "tokens.toml"
        issued = [tokens_file.add(tokens_path, f"person{i}") for i in range(50)]
        check = tokens_file.Tokens(tokens_path)
        n = 20000
        per_check = timeit.timeit(lambda: check.person_for(issued[-1]), number=n) / n * 1e6
        per_wrong = timeit.timeit(lambda: check.person_for("relay_wrong"), number=n) / n * 1e6
        fake = plain = auth = None
        try:
            fake, fake_url = start_fake("fast")
            plain, plain_url = start_relay(fake_url, Path(tmp) / "plain")
            auth, auth_url = start_auth_relay(fake_url, Path(tmp) / "auth", tokens_path)
            urls = {"direct": fake_url, "relay": plain_url, "relay + tokens": auth_url}
            reqs = {name: request_bytes(url, fixture=FIXTURE) for name, url in urls.items()}
            reqs["relay + tokens"] = with_header(reqs["relay + tokens"], issued[-1])
            samples = run(urls, reqs, args.requests, args.warmup)
        finally:
            for proc in (auth, plain, fake):
                stop(proc)
    print(f"Time to first body byte, {args.requests} streaming POSTs per path (49 KB body, keep-alive, "
          f"order rotated); 50 people in the tokens file")
    print(f"   {'':28}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}")
    for name, values in samples.items():
        print(f"   {name:28}{pct(values, 50):10.3f}{pct(values, 90):10.3f}{pct(values, 99):10.3f}")
    a, b = samples["relay + tokens"], samples["relay"]
    print(f"   {'added by tokens':28}{pct(a, 50) - pct(b, 50):10.3f}{pct(a, 90) - pct(b, 90):10.3f}"
          f"{pct(a, 99) - pct(b, 99):10.3f}")
    print(f"Token check in-process: {per_check:.2f} us (right token), {per_wrong:.2f} us (wrong token)")


if __name__ == "__main__":
    main()
