"""`relay prune report`: what pruning removed, or would have removed, per strategy."""
import click

from relay.cli.output import emit, format_option, guarded, rich_table
from relay.present import exchanges as view
from relay.store import queries, user_store


@click.group("prune")
def command():
    """Pruning of request bodies (enable with `relay serve --prune TIER`)."""


@command.command("report")
@click.option("--session-id", default=None, help="Only this session.")
@format_option()
@guarded
def report(session_id, fmt):
    """Edits per tier, strategy and decision: bytes, estimated tokens and cost delta."""
    with user_store() as store:
        data = view.prune_report(store.read(lambda c: queries.prune_report(c, session_id=session_id)))
    emit({"ok": True, "prune": data}, fmt, _plain, _rich)


COLUMNS = ("tier", "strategy", "decision", "edits", "requests", "tokens_removed", "cost_delta")


def _rich(payload):
    from rich.console import Console
    table = rich_table("relay prune report", [c if i < 3 else (c, "right") for i, c in enumerate(COLUMNS)])
    for r in payload["prune"]["by_strategy"]:
        table.add_row(*(f"{r[c]:.1f}" if c == "cost_delta" else str(r[c]) for c in COLUMNS))
    console = Console()
    console.print(table)
    console.print(f"Pruning applies to {payload['prune']['applies_to']}.", markup=False)


def _plain(payload):
    data = payload["prune"]
    rows = data["by_strategy"]
    if not rows:
        click.echo("No pruning recorded yet. Start relay with --prune gentle|standard|aggressive.")
        click.echo(f"Pruning applies to {data['applies_to']}.")
        return
    click.echo(f"{'tier':<11} {'strategy':<22} {'decision':<16} {'edits':>6} {'requests':>8} {'tokens':>9} "
               f"{'cost Δ':>10}")
    for r in rows:
        click.echo(f"{r['tier']:<11} {r['strategy']:<22} {r['decision']:<16} {r['edits']:>6} {r['requests']:>8} "
                   f"{r['tokens_removed']:>9} {r['cost_delta']:>10.1f}")
    a = data["applied"]
    click.echo(f"applied: {a['edits']} edits, {a['tokens_removed']} tokens (~{a['bytes_removed']} bytes) removed, "
               f"cost delta {a['cost_delta']} ({data['cost_unit']})")
    click.echo(f"Pruning applies to {data['applies_to']}.")
