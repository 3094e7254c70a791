"""`relay doctor [--fix]`: twelve checks of the setup around relay, each with its fix.

Exit code 0 when every check passes or warns, 1 when one fails (after --fix, as re-checked).
rich is imported only for --format rich.
"""
import os
import sys
from pathlib import Path

import click

from relay import config
from relay.cli.output import emit, format_option, guarded, rich_table
from relay.diagnostics.doctor import Context, run

_STYLE = {"pass": "green", "warn": "yellow", "fail": "red"}


def _plain(report):
    for c in report["checks"]:
        click.echo(f"{c['status'].upper():<5} {c['name']:<16} {c['message']}")
        if c["status"] != "pass" and c["fix"]:
            click.echo(f"{'':<22}fix: {c['fix']}" + (" (--fix does this)" if c["fixable"] else ""))
    _actions(report)
    _summary(report)


def _actions(report):
    for a in report["fixed"]:
        click.echo(f"fixed {a['check']}: {a['did']}" + (f" (backup: {a['backup']})" if a["backup"] else ""))


def _summary(report):
    counts = {s: sum(1 for c in report["checks"] if c["status"] == s) for s in _STYLE}
    click.echo(f"{counts['pass']} passed, {counts['warn']} warning(s), {counts['fail']} failed")


def _rich(report):
    from rich.console import Console

    table = rich_table("relay doctor", ("status", "check", "message", "fix"))
    for c in report["checks"]:
        fix = (c["fix"] or "") + (" [dim](--fix does this)[/]" if c["fixable"] else "") if c["status"] != "pass" else ""
        table.add_row(f"[{_STYLE[c['status']]}]{c['status']}[/]", c["name"], c["message"], fix)
    Console().print(table)
    _actions(report)
    _summary(report)


@click.command("doctor")
@click.option("--fix", is_flag=True, help="Apply the safe fixes (each changed file is backed up first).")
@format_option()
@guarded
def command(fix, fmt):
    """Check relay's setup: Claude Code routing, MCP, database, session dirs, disk, pid files, env, runtime."""

    ctx = Context(settings=config.load(), environ=dict(os.environ), cwd=Path.cwd())
    report = run(ctx, fix=fix)
    emit(report, fmt, plain=_plain, rich=_rich)
    sys.exit(0 if report["ok"] else 1)
