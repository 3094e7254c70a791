"""`relay cost`: what the proxied requests and the session files cost, grouped one way.

Reads the proxy rows in relay's database and the session files of every CLI modified in the
window; a response seen by both is counted once. Unpriced models are listed, never shown as $0.
"""
import click

from relay.cli.output import emit, format_option, guarded, rich_table
from relay.costs import cost
from relay.costs.cost import GROUPINGS
from relay.present import costs as view
from relay.store import user_store

KINDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


def _usd(value):
    return "unpriced" if value is None else f"${value:,.4f}"


def _tokens(n):
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}k" if n >= 1e3 else str(n)


def _notes(group):
    notes = []
    if group["cost"] is not None and group["unpriced_requests"]:
        notes.append(f"+{group['unpriced_requests']} unpriced")
    if group["estimated_ttl_requests"]:
        notes.append(f"{group['estimated_ttl_requests']} cache TTL estimated")
    if group["long_context_requests"]:
        notes.append(f"{group['long_context_requests']} long-context")
    if group.get("assumed"):
        notes.append(f"priced as {group['priced_as']} (assumed)")
    return "; ".join(notes)


def _footer(payload):
    total = payload["total"]
    src = payload["sources"]
    click.echo(f"total {_usd(total['cost'])} over {total['requests']} response(s) since {payload['since'] or 'ever'}"
               + (f" until {payload['until']}" if payload.get("until") else "") +
               f" (proxy {src['proxy']}, files {src['file']}, {src['deduplicated']} duplicate(s) by message id"
               " counted once;"
               f" prices of {payload['table_date']})")
    for entry in payload["unpriced"]:
        click.echo(f"unpriced: {entry['model']} ({entry['requests']} response(s), {_tokens(entry['tokens'])} tokens)"
                   " - add it to prices.toml in the data dir")


def _plain(payload):
    for g in payload["rows"]:
        tokens = " ".join(f"{k}={_tokens(g['tokens'][k])}" for k in KINDS)
        notes = _notes(g)
        click.echo(f"{g['key']:<38} {_usd(g['cost']):>14} requests={g['requests']:<5} {tokens}"
                   + (f"  ({notes})" if notes else ""))
    _footer(payload)


def _rich(payload):
    from rich.console import Console

    table = rich_table(f"Cost by {payload['by']}", (payload["by"], ("cost", "right"), ("requests", "right"),
                                                    *((k, "right") for k in KINDS), "notes"))
    for g in payload["rows"]:
        table.add_row(g["key"], _usd(g["cost"]), str(g["requests"]), *(_tokens(g["tokens"][k]) for k in KINDS),
                      _notes(g))
    Console().print(table)
    _footer(payload)


@click.command("cost")
@click.option("--since", default="7d", show_default=True,
              help="Window start: 7d, 24h, 30m, 2w, today, 20261101, 2026-11-01 or an ISO time.")
@click.option("--until", default=None, metavar="WHEN", help="Window end, the same forms (a date includes its day).")
@click.option("--by", type=click.Choice(GROUPINGS), default="model", show_default=True, help="Group rows by.")
@format_option()
@guarded
def command(since, until, by, fmt):
    """Cost of proxied requests and session files, by model, provider, session, project or day (UTC).

    1-hour cache writes are priced at 2x base input and 5-minute writes at 1.25x, from the
    split the API reports; responses without the split are priced at 1.25x and counted as
    "cache TTL estimated".
    """
    with user_store() as store:
        result = cost.query(store, since=since, by=by, until=until)
    emit(view.cost_report(result), fmt, _plain, _rich)
