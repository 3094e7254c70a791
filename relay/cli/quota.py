"""`relay quota`: 5h and 7d utilization, status and resets as last measured by the proxy.

Times are computed and stored in UTC; plain and rich output show resets relative to now ("in 2 h
5 min") with the local wall-clock time, because that is when the user can work again. An estimate
(no measured headers, or --plan) is always labelled as one.
"""
import time

import click

from relay import times
from relay.cli.output import emit, format_option, guarded, rich_table
from relay.costs import prices, quota, reports
from relay.present import costs as view
from relay.present import format as fmt_
from relay.store import user_store

PLAN_LOOKBACK_S = 8 * 86400     # past blocks a custom plan's 90th percentile is taken over


def _local(iso):
    """An ISO UTC time as local wall-clock time with its zone name, for display only."""
    if not iso:
        return "-"
    when = times.parse_time(iso)
    return "-" if when is None else times.local_clock(when.timestamp(), "%Y-%m-%d %H:%M %Z")


def _reset(iso):
    """A reset read from now, with its local time: "in 2 h 5 min (14:05 CET)"."""
    when = times.parse_time(iso) if iso else None
    if when is None:
        return "-"
    return f"{fmt_.reset_in(when.timestamp())} ({times.local_clock(when.timestamp(), '%H:%M %Z')})"


def _pct(value):
    return "-" if value is None else f"{value:.1f}%"


def _window_rows(payload):
    """(provider, window, utilization, status, reset local, measured local, representative)."""
    rows = []
    for provider in ("anthropic", "codex", "gemini"):
        block = payload.get(provider)
        for w in (block or {}).get("windows", []):
            rows.append((provider, w["name"], _pct(w["utilization_pct"]), w.get("status") or "-", _reset(w["reset"]),
                         _local(w["measured_at"]), w["representative"]))
    return rows


def _rejections(payload):
    return "; ".join(f"{span}: {r['quota']} quota (429 rate_limit), {r['overloaded']} overloaded (529), "
                     f"{r['other_429']} other 429" for span, r in payload["rejections"].items())


def _per_percent(payload):
    per = payload.get("per_percent") or {}
    parts = []
    for window in ("5h", "7d"):
        entry = per.get(window)
        if entry:
            value = entry["dollars_per_pct"]
            parts.append(f"{window}: " + (f"${value:,.4f} per 1% ({entry['points']:g} points, ${entry['cost']:,.4f})"
                                          if value is not None else "not enough data"))
    return "cost per 1% of quota (API prices): " + "; ".join(parts)


def _plain(payload):
    anthropic = payload["anthropic"]
    if anthropic:
        click.echo(f"measured {_local(anthropic['measured_at'])}  status={anthropic['status'] or '-'}  "
                   f"representative={anthropic['representative_claim'] or '-'}")
    for provider, name, pct, status, reset, measured, rep in _window_rows(payload):
        click.echo(f"{'*' if rep else ' '} {provider:<9} {name:<10} {pct:>7}  {status:<16} reset {reset}  "
                   f"(measured {measured})")
    for family in ("overage", "fallback"):
        if anthropic and anthropic.get(family):
            click.echo(f"  {family}: " + ", ".join(f"{k}={v}" for k, v in anthropic[family].items() if v is not None))
    estimate = payload["estimate"]
    if estimate:
        window = estimate["window"]
        click.echo("ESTIMATED (no rate-limit headers measured yet): "
                   + (f"5h block {_local(window['start'])} -> resets {_reset(window['reset'])}" if window
                      else "no activity in a current 5h block"))
        click.echo(f"  {estimate['note']}")
    click.echo(f"429/529: {_rejections(payload)}")
    click.echo(_per_percent(payload))
    for line in _plan_lines(payload.get("plan")):
        click.echo(line)


def _plan_lines(plan):
    """The --plan estimate, every line saying it is one."""
    if not plan:
        return []
    lines = [f"ESTIMATE for plan {plan['plan']} (limits per 5 h: {plan['limits']['tokens']:,} tokens in+out, "
             f"${plan['limits']['cost']:,.2f}, {plan['limits']['messages']:,} messages)"]
    window = plan["window"]
    if window is None:
        lines.append("  estimated: no active 5h block, nothing used")
    else:
        lines.append(f"  estimated {window['utilization_pct']:.1f}% of the 5h window, resets {_reset(window['reset'])}")
        for name, m in window["measures"].items():
            out = "already reached" if m["reached"] else "lasts to the reset"
            if m["runs_out_ts"] and not m["reached"]:
                out = f"runs out {fmt_.reset_in(m['runs_out_ts'])}"
            used = f"${m['used']:,.2f}" if name == "cost" else f"{m['used']:,}"
            lines.append(f"  {name:<8} {used} = {m['pct']:.1f}% (estimated); at the current rate {out}")
    lines.append(f"  {plan['note']}")
    lines.append(f"  limits from {plan['sources']}")
    return lines


def _rich(payload):
    from rich.console import Console

    console = Console()
    anthropic = payload["anthropic"]
    title = "Quota (measured)" if payload["source"] == "measured" else "Quota (ESTIMATED)"
    if anthropic:
        title += f", {_local(anthropic['measured_at'])}, status {anthropic['status'] or '-'}"
    table = rich_table(title, ("provider", "window", ("used", "right"), "status", "reset", "measured"))
    for provider, name, pct, status, reset, measured, rep in _window_rows(payload):
        style = "bold yellow" if rep else "default"
        table.add_row(provider, f"[{style}]{name}{' *' if rep else ''}[/]", pct, status, reset, measured)
    estimate = payload["estimate"]
    if estimate and estimate["window"]:
        w = estimate["window"]
        table.add_row("estimate", "5h", "-", "estimated", _reset(w["reset"]), f"block from {_local(w['start'])}")
    console.print(table)
    if estimate:
        console.print(f"[yellow]{estimate['note']}[/]")
    console.print(f"429/529: {_rejections(payload)}")
    console.print(_per_percent(payload))
    for line in _plan_lines(payload.get("plan")):
        console.print(line, style="yellow", markup=False, highlight=False)


def _plan(store, plan, now):
    reports.refresh(store, ("claude",))
    result = reports.blocks(store, prices.load(), ("claude",), now=now, span=(now - PLAN_LOOKBACK_S, None))
    return quota.plan_estimate(plan, result["blocks"], now)


@click.command("quota")
@click.option("--plan", type=click.Choice(["pro", "max5", "max20", "custom"]), default=None,
              help="Estimate the 5h window from Claude Code's session files against this plan's limits (custom: "
                   "the 90th percentile of your past blocks); for logins whose headers relay has not measured.")
@format_option()
@guarded
def command(plan, fmt):
    """5h and 7d quota: utilization, status, resets, the representative window, 429s by cause."""
    now = time.time()
    with user_store() as store:
        payload = view.quota(store.read(lambda c: quota.report(c, now)))
        if plan:
            payload["plan"] = _plan(store, plan, now)
    emit(payload, fmt, plain=_plain, rich=_rich)
