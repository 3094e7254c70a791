"""`relay recover --session-id ID`: repair a session file so that the CLI can resume it again.

Prints each change with its line; the original is kept as `<file>.bak-<timestamp>`.
Exit code 0 when the file is repaired or was healthy, 2 when it cannot be found or written.
"""
import click

from relay.cli.output import emit, format_option, guarded, rich_table
from relay.diagnostics.recover import recover
from relay.sessions.discover import PROVIDERS


def _plain(report):
    changes = report["changes"]
    if not changes:
        click.echo(f"{report['path']}: nothing to repair")
        return
    verb = "would change" if report["dry_run"] else "changed"
    click.echo(f"{report['path']} ({report['provider']}): {verb} {len(changes)} thing(s)")
    for c in changes:
        click.echo(f"  line {c['line'] or '-'}: {c['detail']}")
    _outcome(report)


def _rich(report):
    from rich.console import Console

    table = rich_table(f"relay recover: {report['path']}", ("line", "change", "detail"))
    for c in report["changes"]:
        table.add_row(str(c["line"] or "-"), c["kind"], c["detail"])
    Console().print(table if report["changes"] else "nothing to repair")
    _outcome(report)


def _outcome(report):
    """Where the original went, or that a dry run wrote nothing (said only when there were changes)."""
    if report["written"]:
        click.echo(f"backup of the original: {report['backup']}")
    elif report["dry_run"] and report["changes"]:
        click.echo("dry run: nothing was written")


@click.command("recover")
@click.option("--session-id", required=True, metavar="ID", help="The session to repair (as `relay scan` lists it).")
@click.option("--provider", type=click.Choice(PROVIDERS), default=None, help="Look only at this CLI's sessions.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@format_option()
@guarded
def command(session_id, provider, dry_run, fmt):
    """Repair a session that cannot be resumed: torn lines, tool calls without results, broken chains."""

    report = recover(session_id, provider=provider, dry_run=dry_run)
    emit(report, fmt, plain=_plain, rich=_rich)
