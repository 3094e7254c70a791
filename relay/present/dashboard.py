"""The dashboard's sections, gathered in one place for the page, its JSON twin, its SSE fragments and
`relay top`."""
import logging

from relay.present import costs, exchanges, guard, live, orchestration

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


def dashboard(ctx):
    return {"summary": costs.summary(ctx), "quota": costs.quota_gauge(ctx), "requests": exchanges.requests(ctx),
            "sessions": live.live_sessions(ctx), "cli_status": gathered(orchestration.installed, ctx),
            "guard": gathered(guard.current, ctx), "delegations": gathered(orchestration.delegations, ctx)}
