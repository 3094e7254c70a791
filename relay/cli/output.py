"""Shared output for commands: --format json|plain|rich, and errors as `Error: ...` + a hint."""
import json
import sys

import click

from relay.errors import RelayError
from relay.present import terminal


def format_option(default="plain"):
    return click.option("--format", "fmt", type=click.Choice(["json", "plain", "rich"]), default=default,
                        show_default=True, help="Output format.")


def emit_json(payload):
    click.echo(terminal.safe_json(json.dumps(payload, indent=2, ensure_ascii=False, default=str)))


def emit(payload, fmt, plain, rich):
    """Print `payload` in the chosen --format: JSON as it is, else through the command's own
    `plain(payload)` or `rich(payload)` renderer, with control characters from session content
    escaped (relay.present.terminal)."""
    if fmt == "json":
        emit_json(payload)
    elif fmt == "rich":
        rich(terminal.safe_tree(payload))
    else:
        plain(terminal.safe_tree(payload))


def rich_table(title, columns):
    """A rich Table whose columns fold long values; a column is a name or (name, justify).
    rich is imported here, so only --format rich pays for it."""
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        name, justify = column if isinstance(column, tuple) else (column, "left")
        table.add_column(name, justify=justify, overflow="fold")
    return table


def fail(exc, code=2):
    """Print a RelayError the way every command does, then exit."""
    click.echo(f"Error: {exc.message if isinstance(exc, RelayError) else exc}", err=True)
    hint = getattr(exc, "hint", None)
    if hint:
        click.echo(f"Hint: {hint}", err=True)
    sys.exit(code)


def guarded(fn):
    """Decorator for command bodies: RelayError becomes a clean message, never a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RelayError as exc:
            fail(exc)
    return wrapper
