"""`relay quota`: 5h and 7d utilization, status and resets as last measured by the proxy.

Times are computed and stored in UTC; plain and rich output show resets in the local timezone
too, because that is when the user can work again. An estimate is always labelled as one.
"""

import click

from relay import times
from relay.cli.output import emit, format_option, guarded, rich_table
from relay.costs import quota
from relay.present import costs as view
from relay.store import user_store


def _local(iso):
    """An ISO UTC time as local wall-clock time with its zone name, for display only."""
    if not iso:
        return "-"
    when = times.parse_time(iso)
    return "-" if when is None else times.local_clock(when.timestamp(), "%Y-%m-%d %H:%M %Z")


def _pct(value):
    return "-" if value is None else f"{value:.1f}%"


def _window_rows(payload):
    """(provider, window, utilization, status, reset local, measured local, representative)."""
    rows = []
    for provider in ("anthropic", "codex", "gemini"):
        block = payload.get(provider)
        for w in (block or {}).get("windows", []):
            rows.append((provider, w["name"], _pct(w["utilization_pct"]), w.get("status") or "-", _local(w["reset"]),
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
                   + (f"5h block {_local(window['start'])} -> resets {_local(window['reset'])}" if window
                      else "no activity in a current 5h block"))
        click.echo(f"  {estimate['note']}")
    click.echo(f"429/529: {_rejections(payload)}")
    click.echo(_per_percent(payload))


def _rich(payload):
    from rich.console import Console

    console = Console()
    anthropic = payload["anthropic"]
    title = "Quota (measured)" if payload["source"] == "measured" else "Quota (ESTIMATED)"
    if anthropic:
        title += f", {_local(anthropic['measured_at'])}, status {anthropic['status'] or '-'}"
    table = rich_table(title, ("provider", "window", ("used", "right"), "status", "reset (local)", "measured"))
    for provider, name, pct, status, reset, measured, rep in _window_rows(payload):
        style = "bold yellow" if rep else "default"
        table.add_row(provider, f"[{style}]{name}{' *' if rep else ''}[/]", pct, status, reset, measured)
    estimate = payload["estimate"]
    if estimate and estimate["window"]:
        w = estimate["window"]
        table.add_row("estimate", "5h", "-", "estimated", _local(w["reset"]), f"block from {_local(w['start'])}")
    console.print(table)
    if estimate:
        console.print(f"[yellow]{estimate['note']}[/]")
    console.print(f"429/529: {_rejections(payload)}")
    console.print(_per_percent(payload))


@click.command("quota")
@format_option()
@guarded
def command(fmt):
    """5h and 7d quota: utilization, status, resets, the representative window, 429s by cause."""

    with user_store() as store:
        payload = view.quota(store.read(quota.report))
    emit(payload, fmt, plain=_plain, rich=_rich)
