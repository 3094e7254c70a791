"""Cache forensics and the window by MCP server as every output shows them (relay.costs.cache_breaks,
relay.sessions.attribution): the API's /history/<id>/cache, `relay history cache`, the history
page's break markers, the cards, relay top, MCP and the status line."""
from relay.costs import cache_breaks, prices
from relay.present.costs import usd


def _break(b):
    return {**b, "dollars": usd(b["dollars"])}


def shaped(result):
    """The forensics of one session with dollars rounded (None stays None)."""
    if result is None:
        return None
    totals = {**result["totals"], "dollars": usd(result["totals"]["dollars"])}
    return {**result, "breaks": [_break(b) for b in result["breaks"]], "totals": totals}


def session_cache(ctx, session_id, table=None):
    """One session's cache breaks, totals, window by MCP server and findings; None when nothing
    was captured for it."""
    table = table or prices.load()
    return ctx.store.read(lambda c: shaped(cache_breaks.analyse(c, session_id, table)))


def marker_label(b):
    cost = "unpriced" if b["dollars"] is None else f"${b['dollars']:.4f}"
    return f"cache break: {b['cause']} · {b['tokens']:,} tokens · {cost}"
