"""Exchanges per second the store's writer commits, SQLite vs PostgreSQL, with history on: each
exchange is what the proxy queues for it (the start row, the finish row, and the history turn of
a growing conversation), submitted from several threads, timed until flush() returns.

    python bench/store_backends.py                     # a throwaway local cluster (tests/pg_server.py)
    python bench/store_backends.py --url postgresql://relay@db/relay --exchanges 5000 --no-history

The throwaway cluster runs with fsync off on a Unix socket: a lower bound on what a networked,
durable server costs. Numbers only; nothing is asserted.
"""
import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relay.models import Exchange, Usage  # noqa: E402
from relay.proxy.stages.capture.stage import record_turn  # noqa: E402
from relay.store import Store  # noqa: E402
from relay.store.writes import record_exchange_finish, record_exchange_start  # noqa: E402

SESSIONS = 8


def _body(sid, turn):
    messages = []
    for i in range(turn + 1):
        messages.append({"role": "user", "content": f"question {i} of {sid}: " + "lorem ipsum " * 40})
        if i < turn:
            messages.append({"role": "assistant", "content": [{"type": "text", "text": f"answer {i} " * 30}]})
    return json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 64, "system": "a system prompt " * 200,
                       "messages": messages}).encode()


def run(store, exchanges, history):
    store.start()
    per_session = exchanges // SESSIONS

    def session(s):
        sid = f"bench-{s}"
        for turn in range(per_session):
            ex = Exchange(id=f"{sid}-{turn}", ts=time.time(), provider="anthropic", method="POST",
                          path="/v1/messages", model="claude-sonnet-4-5", session_id=sid)
            store.submit(record_exchange_start(ex))
            ex.status, ex.outcome = 200, "ok"
            ex.usage = Usage(input_tokens=100 + turn, output_tokens=50, cache_read_input_tokens=4000)
            store.submit(record_exchange_finish(ex))
            if history:
                store.submit(record_turn(ex, _body(sid, turn % 40), None))

    start = time.perf_counter()
    threads = [threading.Thread(target=session, args=(s,)) for s in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.flush(timeout=600)
    elapsed = time.perf_counter() - start
    store.close()
    return per_session * SESSIONS / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=2000)
    parser.add_argument("--url", help="a PostgreSQL to use (default: a throwaway local cluster)")
    parser.add_argument("--no-history", action="store_true")
    args = parser.parse_args()
    history = not args.no_history
    cluster = None
    url = args.url
    if url is None:
        from tests.pg_server import Cluster, skip_reason
        reason = skip_reason()
        if reason:
            sys.exit(f"no PostgreSQL to bench: {reason}")
        cluster = Cluster().start()
        url = cluster.url()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for label, make in (("sqlite", lambda: Store(Path(tmp) / "bench.db")),
                                ("postgres", lambda: Store(Path(tmp) / "unused.db", url=url))):
                rate = run(make(), args.exchanges, history)
                print(f"{label:9s} {rate:8.0f} exchanges/s  ({args.exchanges} exchanges, history "
                      f"{'on' if history else 'off'}, {SESSIONS} threads)")
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
