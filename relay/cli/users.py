"""`relay users`: who spent what, per machine and OS user, then per CLI and model (the proxy rows
of relay's database; on a PostgreSQL several relays share, the whole team's)."""
import click

from relay import times
from relay.cli.output import emit, format_option, guarded, rich_table
from relay.costs import prices, team
from relay.store import user_store


def _usd(value):
    return "unpriced" if value is None else f"${value:,.4f}"


def _who(person):
    return f"{person['user'] or '?'}@{person['machine'] or '?'}"


def _plain(payload):
    for person in payload["users"]:
        extra = f" (+{person['unpriced']} unpriced)" if person["unpriced"] and person["cost"] is not None else ""
        click.echo(f"{_who(person):<32} {_usd(person['cost']):>14} requests={person['requests']}{extra}")
        for row in person["rows"]:
            click.echo(f"  {row['cli'] or '?':<8} {row['model'] or '(unknown)':<30} {_usd(row['cost']):>14}"
                       f" requests={row['requests']}")
    total = payload["total"]
    click.echo(f"total {_usd(total['cost'])} over {total['requests']} request(s) of {len(payload['users'])} "
               f"user(s) since {times.iso(payload['since'])}")


def _rich(payload):
    from rich.console import Console

    table = rich_table("Spend per user", ("user", "cli", "model", ("cost", "right"), ("requests", "right")))
    for person in payload["users"]:
        table.add_row(_who(person), "", "", _usd(person["cost"]), str(person["requests"]))
        for row in person["rows"]:
            table.add_row("", row["cli"] or "?", row["model"] or "(unknown)", _usd(row["cost"]), str(row["requests"]))
    Console().print(table)
    click.echo(f"total {_usd(payload['total']['cost'])} since {times.iso(payload['since'])}")


@click.command("users")
@click.option("--since", default="7d", show_default=True,
              help="Window start: 7d, 24h, today, 2026-11-01 or an ISO time.")
@click.option("--user", "person", default=None, metavar="USER[@MACHINE]",
              help="One person only: an OS user (on every machine) or user@machine, as the table names them.")
@format_option()
@guarded
def command(since, person, fmt):
    """Spend per machine and OS user, then per CLI and model, of the proxied requests (with a
    shared PostgreSQL database_url: every relay writing to it)."""
    start = times.since_ts(since)
    with user_store() as store:
        payload = team.spend_by_user(store, prices.load(), start, person)
    emit(payload, fmt, _plain, _rich)
