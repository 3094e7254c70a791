"""`relay prune report`: what pruning removed, or would have removed, per strategy, and what it
saved as upstream measured it, per tier and model, in tokens and dollars."""
import click

from relay.cli.output import emit, format_option, guarded, rich_table
from relay.present import exchanges as view
from relay.store import user_store


@click.group("prune")
def command():
    """Pruning of request bodies (enable with `relay serve --prune TIER`)."""


@command.command("report")
@click.option("--session-id", default=None, help="Only this session.")
@format_option()
@guarded
def report(session_id, fmt):
    """Edits per tier, strategy and decision (bytes, estimated tokens, cost delta), and the
    measured saving per tier and model: tokens, cache reads and dollars before and after pruning."""
    with user_store() as store:
        data = view.read_prune_report(store.read, session_id)
    emit({"ok": True, "prune": data}, fmt, _plain, _rich)


COLUMNS = ("tier", "strategy", "decision", "edits", "requests", "tokens_removed", "cost_delta")


def _rich(payload):
    from rich.console import Console
    table = rich_table("relay prune report", [c if i < 3 else (c, "right") for i, c in enumerate(COLUMNS)])
    for r in payload["prune"]["by_strategy"]:
        table.add_row(*(f"{r[c]:.1f}" if c == "cost_delta" else str(r[c]) for c in COLUMNS))
    console = Console()
    console.print(table)
    savings = rich_table("measured savings", ["tier", "model", *((c, "right") for c in SAVING_COLUMNS)])
    for g in _saving_groups(payload["prune"]["savings"]):
        savings.add_row(*_saving_cells(g))
    console.print(savings)
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
    click.echo(f"{'tier':<11} {'model':<22} " + " ".join(f"{c:>12}" for c in SAVING_COLUMNS))
    for g in _saving_groups(data["savings"]):
        tier, model, *cells = _saving_cells(g)
        click.echo(f"{tier:<11} {model:<22} " + " ".join(f"{c:>12}" for c in cells))
    a = data["applied"]
    click.echo(f"applied: {a['edits']} edits, {a['tokens_removed']} tokens (~{a['bytes_removed']} bytes) removed, "
               f"cost delta {a['cost_delta']} ({data['cost_unit']})")
    click.echo(f"Pruning applies to {data['applies_to']}.")


SAVING_COLUMNS = ("requests", "tokens before", "tokens after", "tokens saved", "read before", "read after",
                  "$ before", "$ after", "$ saved")


def _saving_groups(savings):
    return [*savings["by_model"], {**savings["total"], "tier": "all", "model": ""}] if savings["by_model"] else []


def _dollars(value):
    return "unpriced" if value is None else f"{value:.4f}"


def _saving_cells(g):
    b, a = g["before"], g["after"]
    return (g["tier"], g["model"] or "(unknown)", str(g["requests"]), f"{b['tokens']:,}", f"{a['tokens']:,}",
            f"{g['saved']['tokens']:,}", f"{b['cache_read']:,}", f"{a['cache_read']:,}", _dollars(b["dollars"]),
            _dollars(a["dollars"]), _dollars(g["saved"]["dollars"]))
