"""Cost of the live views: a /metrics scrape, a `relay top` frame and the running-CLI scan.

    python bench/live_views.py                  # 100k recorded requests in a temp database
    python bench/live_views.py --rows 20000     # a quick run

Every row carries unified 5h/7d quota headers, as Anthropic responses do.
Prints: the first /metrics scrape (prices every row once), a later scrape after 100 new rows
(the cost tally is incremental), the dashboard's cost by model over every row both ways (row by
row in Python as relay.costs.cost.report does, and the one SQL aggregate the dashboard uses), the
quota report and its per-1% cost both ways (every Exchange in Python, and the narrow SQL read),
one `relay top` database snapshot and its render to text, and one alive_sessions() scan of every
process on this machine. Numbers only: nothing here asserts.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relay.costs import prices  # noqa: E402
from relay.models import Exchange, Usage  # noqa: E402
from relay.present.context import Context  # noqa: E402
from relay.store import Store  # noqa: E402
from relay.store.writes import record_exchange_finish  # noqa: E402
from relay.web.prometheus import Tally, collect  # noqa: E402

U = "anthropic-ratelimit-unified-"
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "mystery-model")


def _ratelimit(ts, n):
    """Unified quota headers as Anthropic sends them: 5h utilization climbing in whole percents
    within each 5h block, 7d climbing slowly within each week."""
    block = ts - ts % 18000
    return {U + "status": "allowed", U + "representative-claim": "five_hour", U + "reset": str(int(block + 18000)),
            U + "5h-utilization": f"{int((ts - block) / 18000 * 80) / 100:.2f}",
            U + "5h-reset": str(int(block + 18000)),
            U + "7d-utilization": f"{min(n // 2000, 99) / 100:.2f}",
            U + "7d-reset": str(int(ts - ts % 604800 + 604800))}


def _fill(store, start, count, now):
    def write(conn):
        for n in range(start, start + count):
            ts = now - (start + count - n)
            ex = Exchange(id=f"b{n}", ts=ts, provider="anthropic", method="POST", ratelimit=_ratelimit(ts, n),
                          path="/v1/messages", model=MODELS[n % len(MODELS)], session_id=f"s{n % 50}",
                          status=200 if n % 20 else 529, outcome="ok" if n % 20 else "upstream_error",
                          ttfb_ms=50 + n % 900, duration_ms=200 + n % 30000,
                          usage=Usage(input_tokens=10 + n % 500, output_tokens=n % 2000,
                                      cache_read_input_tokens=n % 90000, cache_creation_input_tokens=n % 3000,
                                      cache_creation_1h_input_tokens=n % 3000))
            record_exchange_finish(ex)(conn)
    store.write(write)


def _ms(fn):
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RELAY_HOME"] = tmp
        store = Store(Path(tmp) / "relay.db")
        now = time.time()
        _fill(store, 0, args.rows, now)
        ctx, tally, table = Context(None, store, None, None, None, now), Tally(), prices.load()
        first, text = _ms(lambda: collect(ctx, tally, table))
        _fill(store, args.rows, 100, time.time())
        later, _ = _ms(lambda: collect(ctx, tally, table))
        print(f"rows                      {args.rows}")
        print(f"/metrics first scrape     {first:8.1f} ms  ({len(text.splitlines())} lines)")
        print(f"/metrics after +100 rows  {later:8.1f} ms")

        from relay.costs import cost, today
        report_ms, _ = _ms(lambda: cost.report(store, table, since=0, by="model", files=False))
        sql_ms, _ = _ms(lambda: today.today_by_model(store, table, 0))
        print(f"cost by model, per row    {report_ms:8.1f} ms  (costs.report, all {args.rows + 100} rows)")
        print(f"cost by model, SQL        {sql_ms:8.1f} ms  (today.today_by_model, same rows)")

        from relay.costs import per_percent, quota
        from relay.store import queries
        quota_ms, _ = _ms(lambda: store.read(lambda c: quota.report(c, now=time.time())))
        since = time.time() - per_percent.LOOKBACK_S
        rows_ms, _ = _ms(lambda: store.read(lambda c: per_percent.compute(
            queries.list_finished(c, since=since, provider="anthropic"), table)))
        sql_pp_ms, _ = _ms(lambda: store.read(lambda c: per_percent.report(c, table, time.time())))
        print(f"quota report              {quota_ms:8.1f} ms  (quota.report: windows, 429s, per-1% cost)")
        print(f"per-1% cost, per row      {rows_ms:8.1f} ms  (per_percent.compute over every exchange)")
        print(f"per-1% cost, SQL          {sql_pp_ms:8.1f} ms  (per_percent.report, same rows)")

        from rich.console import Console

        from relay.sessions.alive import alive_sessions
        from relay.tui import feed as feeds
        from relay.tui.top import render
        feed = feeds.DbFeed(None, store)
        snap_ms, snap = _ms(feed.snapshot)
        console = Console(record=True, width=160, file=open(os.devnull, "w"))
        render_ms, _ = _ms(lambda: (console.print(render(snap)), console.export_text()))
        print(f"top snapshot (database)   {snap_ms:8.1f} ms")
        print(f"top render to text        {render_ms:8.1f} ms")
        scan_ms, rows = _ms(alive_sessions)
        import psutil
        print(f"alive_sessions scan       {scan_ms:8.1f} ms  ({len(psutil.pids())} processes, {len(rows)} CLIs)")
        store.close()


if __name__ == "__main__":
    main()
