"""Cache forensics (relay.costs.cache_breaks.analyse) over a long captured session: time per turn
and peak memory.

The session is bench/history_size.py's synthetic Claude Code session (the real system prompt and
tools, turns of text, tool_use and a few-KB tool_result, the breakpoint moving to the newest
message), captured through the writer task into a fresh store with exchange rows whose usage
reads the previous prefix, except every 50th turn, which edits the first message and re-writes
everything (a break to classify). Printed: capture time, then the analysis' wall time, time per
turn, breaks found and Python's peak allocation during the analysis (tracemalloc).
Run: python bench/cache_forensics.py [turns]
"""
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from history_size import bodies  # noqa: E402

from relay.costs import cache_breaks, prices  # noqa: E402
from relay.models import Exchange, Usage  # noqa: E402
from relay.proxy.stages.capture.stage import record_turn  # noqa: E402
from relay.store import Store, writes  # noqa: E402

EDIT_EVERY = 50


def _edited(body):
    # a word of the first message changes, as when a client rewrites history
    start = body.index(b'"messages"')
    at = body.index(b"the ", start)
    return body[:at] + b"THE " + body[at + 4:]


def main(turns=500):
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "relay.db")
        start, cached, t0 = time.time() - turns * 30, 0, time.perf_counter()
        for i, body in enumerate(bodies(turns)):
            size = len(body) // 4
            broken = i and i % EDIT_EVERY == 0
            if broken:
                body = _edited(body)
            read = 0 if broken else cached
            usage = Usage(input_tokens=10, cache_read_input_tokens=read,
                          cache_creation_input_tokens=max(size - read, 0),
                          cache_creation_5m_input_tokens=max(size - read, 0), output_tokens=50)
            ex = Exchange(id=f"ex{i}", ts=start + i * 30, provider="anthropic", method="POST", path="/v1/messages",
                          model="claude-sonnet-4-5", session_id="bench", usage=usage, outcome="ok")
            store.write(writes.record_exchange_finish(ex))
            store.write(record_turn(ex, body, [], 50))
            cached = read + usage.cache_creation_input_tokens
        capture = time.perf_counter() - t0
        table = prices.load()
        tracemalloc.start()
        t0 = time.perf_counter()
        result = store.read(lambda c: cache_breaks.analyse(c, "bench", table))
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        store.close()
    causes = result["totals"]["by_cause"]
    print(f"turns: {turns}  captured in {capture:.1f} s")
    print(f"analysis: {elapsed:.2f} s, {1000 * elapsed / turns:.2f} ms per turn, peak {peak / 2**20:.1f} MiB")
    print(f"breaks: {result['totals']['breaks']} {causes}  re-paid ${result['totals']['dollars']:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
