"""Cache forensics and the window by MCP server as every output shows them (relay.costs.cache_breaks,
relay.sessions.attribution): the API's /history/<id>/cache, `relay history cache`, the history
page's break markers, the cards, relay top, MCP and the status line."""
from relay import config
from relay.costs import cache_breaks, prices
from relay.present.costs import usd


def limits(ctx):
    """The forensics' thresholds from the settings (cache_break_min_tokens, cache_breaks_limit,
    mcp_heavy_percent); a Context without settings (a CLI on the database) loads them."""
    settings = ctx.settings if ctx.settings is not None else config.load()
    return cache_breaks.Limits(min_shortfall=settings["cache_break_min_tokens"],
                               breaks=settings["cache_breaks_limit"], mcp_share=settings["mcp_heavy_percent"])


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
    bounds = limits(ctx)
    return ctx.store.read(lambda c: shaped(cache_breaks.analyse(c, session_id, table, bounds)))


def marker_label(b):
    cost = "unpriced" if b["dollars"] is None else f"${b['dollars']:.4f}"
    return f"cache break: {b['cause']} · {b['tokens']:,} tokens · {cost}"
