"""Shared output for commands: --format json|plain|rich, and errors as `Error: ...` + a hint."""
import json
import sys

import click

from relay.errors import RelayError
from relay.present import terminal


def format_option(default="plain"):
    return click.option("--format", "fmt", type=click.Choice(["json", "plain", "rich"]), default=default,
                        show_default=True, help="Output format.")


PROGRESS_BYTES = 64 << 20      # a bar only when there is that much to read: below it, the wait is short


def progress_bar(label, enabled=True, stream=None):
    """A `progress(done_bytes, total_bytes)` callback for an index update that draws a bar on
    stderr once the work is big enough to wait for, or None: never on a pipe or a file (a script
    reading stdout or logging stderr must see only what the command prints) nor for --json."""
    stream = sys.stderr if stream is None else stream
    if not enabled or not stream.isatty():
        return None
    state: dict = {}

    def progress(done, total):
        if "bar" not in state:
            if total < PROGRESS_BYTES:
                return
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
            state["bar"] = Progress(label, BarColumn(), DownloadColumn(), TransferSpeedColumn(), transient=True,
                                    console=Console(file=stream))
            state["bar"].start()
            state["task"] = state["bar"].add_task(label, total=total)
        state["bar"].update(state["task"], completed=done)
        if done >= total:
            state["bar"].stop()
    return progress


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
