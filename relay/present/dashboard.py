"""The dashboard's sections, gathered in one place for the page, its JSON twin, its SSE fragments and
`relay top`."""
import logging
import time

from relay import times
from relay.costs import prices, rates, today
from relay.costs import quota as quota_service
from relay.present import charts, costs, exchanges, guard, live, orchestration
from relay.store import queries

log = logging.getLogger(__name__)


def section(data):
    """A dashboard section (a dict) that may have failed to gather: None renders "could not be
    read", never an empty success."""
    return {"available": data is not None, **(data or {})}


def gathered(fn, ctx):
    """section(fn(ctx)); a section whose source fails (a CLI's --version hanging, a locked table)
    is logged and shown as unavailable instead of taking the whole page down."""
    try:
        data = fn(ctx)
    except Exception:
        log.exception("dashboard section %s failed", fn.__qualname__)
        data = None
    return section(data)


def summary(ctx, now=None):
    """The headline numbers (relay.present.costs.summary_of), gathered for today
    (relay.times.start_of_day)."""
    now = time.time() if now is None else now
    since = times.start_of_day(now)
    counts = ctx.store.read(lambda c: queries.count_since(c, since))
    cost = today.today_by_model(ctx.store, prices.load(), since)
    errors = ctx.store.read(lambda c: rates.errors(c, now=now))
    cache = ctx.store.read(lambda c: rates.cache(c, since=since))
    return costs.summary_of(counts, cost, errors, cache)


def quota(ctx):
    """The dashboard's quota section, read now."""
    return costs.quota_windows(ctx.store.read(quota_service.report))


def dashboard(ctx):
    """Every section. The reads go through ctx.offload (a served relay's thread pool); the CLI
    discovery stays with the caller, because it spawns `--version` processes, which gevent can only
    wait for on its own loop (and a cache keeps it to one per minute)."""
    def reads():
        return {"summary": summary(ctx), "quota": quota(ctx), "requests": exchanges.requests(ctx),
                "sessions": live.live_sessions(ctx), "guard": gathered(guard.current, ctx),
                "delegations": gathered(orchestration.delegations, ctx),
                "charts": gathered(charts.dashboard_charts, ctx)}
    sections = ctx.offload(reads) if ctx.offload is not None else reads()
    return {**sections, "cli_status": gathered(orchestration.installed, ctx)}
