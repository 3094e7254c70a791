"""`relay report blocks --live`: the active 5-hour block redrawn in place (rich Live), like relay top.

render(view) is a pure function of relay.present.reports.live_block's view; run() is the loop.
rich is imported inside the functions: this module is loaded by every `relay report`, and only
--live draws with it.
"""
import time

from relay import times
from relay.present import format as fmt


def _pct(value):
    return "-" if value is None else f"{value:.1f}%"


def _rows(view, tz, locale):
    now, block = view["now"], view["block"]
    rows = []
    if block is None:
        last = view.get("last_block")
        ended = fmt.epoch(last["actualEndTime"]) if last and last.get("actualEndTime") else None
        rows.append(("block", "no active block" + (f" (last ended {fmt.relative(ended, now)})" if ended else "")))
    else:
        rows += [("block", f"{times.zone_clock(block['start_ts'], tz)} → {times.zone_clock(block['end_ts'], tz)}"
                           f" ({fmt.duration(block['elapsed_s'])} in, ends {fmt.relative(block['end_ts'], now)})"),
                 ("elapsed", f"{block['elapsed_pct']:.1f}%"),
                 ("models", ", ".join(block["models"]) or "-"),
                 ("tokens", fmt.number(block["totalTokens"], locale)),
                 ("cost", fmt.money(block["costUSD"], locale))]
        rate, projection = block.get("burnRate"), block.get("projection")
        if rate:
            rows.append(("burn rate", f"{fmt.number(rate['tokensPerMinute'], locale)} tokens/min, "
                                      f"{fmt.money(rate['costPerHour'], locale)}/h"))
        if projection:
            rows.append(("projected", f"{fmt.number(projection['totalTokens'], locale)} tokens, "
                                      f"{fmt.money(projection['totalCost'], locale)} by the block's end"))
    for w in view["quota"]:
        text = f"{_pct(w['used_pct'])} now"
        if w["projected_pct"] is not None:
            text += f", {_pct(w['projected_pct'])} at reset"
        if w["runs_out_ts"] is not None:
            text += f", 100% {fmt.relative(w['runs_out_ts'], now)}"
        if w["reset_ts"]:
            text += f"; resets {fmt.reset_in(w['reset_ts'], now)}"
        rows.append((f"{w['cli']} {w['name']}", text))
    if not view["quota"]:
        rows.append(("quota", "not measured (no rate-limit headers seen by the proxy)"))
    return rows


def render(view, tz, locale=None):
    """The panel for one view: the block, its burn rate and projection, the measured quota."""
    from rich.panel import Panel  # rich is heavy: loaded only when --live draws
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in _rows(view, tz, locale):
        grid.add_row(label, Text(value))
    title = f"relay report blocks --live · {times.zone_clock(view['now'], tz, '%H:%M:%S %Z')}"
    return Panel(grid, title=title, subtitle="Ctrl-C to quit", border_style="cyan")


def run(snapshot, refresh, console=None, frames=None, tz=None, locale=None):
    """Redraw snapshot() every `refresh` seconds until Ctrl-C (or `frames` frames)."""
    from rich.console import Console  # rich is heavy: loaded only when --live draws
    from rich.live import Live

    console = console or Console()
    drawn = 1
    try:
        with Live(render(snapshot(), tz, locale), console=console, auto_refresh=False) as live:
            while frames is None or drawn < frames:
                time.sleep(refresh)
                live.update(render(snapshot(), tz, locale), refresh=True)
                drawn += 1
    except KeyboardInterrupt:
        pass
