"""`relay prices`: the price table relay uses, with the user's overrides applied.

Shipped rows are dated; edit `<data dir>/prices.toml` to add a model or correct a price
(format in relay.costs.prices). rich is imported only for --format rich.
"""
import click

from relay.cli.output import emit, format_option, guarded, rich_table
from relay.costs import prices
from relay.present import costs as view

COLUMNS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


def _money(value):
    return f"{value:g}"


def _long(row):
    long = row["long"]
    return f">{long['threshold'] // 1000}k: {_money(long['input'])}/{_money(long['output'])}" if long else "-"


def _flags(row):
    return ",".join(f for f, on in (("assumed", row["assumed"]), ("override", row["source"] == "override")) if on)


def _header(payload):
    click.echo(f"USD per million tokens; table of {payload['table_date']}"
               + (f"; overrides from {payload['overrides']}" if payload["overrides"] else ""))


def _plain(payload):
    _header(payload)
    click.echo(f"{'model':<24} {'provider':<10} " + " ".join(f"{c:>14}" for c in COLUMNS) + "  long context")
    for row in payload["models"]:
        click.echo(f"{row['model']:<24} {row['provider']:<10} " + " ".join(f"{_money(row[c]):>14}" for c in COLUMNS)
                   + f"  {_long(row)}" + (f"  [{_flags(row)}]" if _flags(row) else ""))


def _rich(payload):
    from rich.console import Console

    table = rich_table(f"Prices (USD / MTok, {payload['table_date']})",
                       ("model", "provider", *((c, "right") for c in COLUMNS), "long context", "flags"))
    for row in payload["models"]:
        table.add_row(row["model"], row["provider"], *(_money(row[c]) for c in COLUMNS), _long(row), _flags(row))
    Console().print(table)
    _header(payload)


@click.command("prices")
@format_option()
@guarded
def command(fmt):
    """Show the price table (USD per million tokens) used by `relay cost`.

    Cache writes: 5-minute 1.25x and 1-hour 2x base input (Anthropic). A Claude id newer than
    the table is priced as the newest model of its family and marked `assumed`.
    Add or replace models in <data dir>/prices.toml.
    """

    emit(view.price_table(prices.load()), fmt, _plain, _rich)
