"""`relay scan`: diagnose the session files of Claude Code, Codex CLI and Gemini CLI.

Exit code 0 when no finding is at error severity, 1 otherwise (2: bad arguments or setup), so
`relay scan && ...` works in scripts. rich is imported only for --format rich.
"""
import sys

import click

from relay.cli.output import emit, format_option, guarded, progress_bar, rich_table
from relay.diagnostics import scan
from relay.sessions.discover import PROVIDERS
from relay.store import user_store


def _tokens(n):
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.1f}k" if n >= 1e3 else str(n)


def _plain(payload):
    for s in payload["sessions"]:
        click.echo(f"{s['provider']:<12} {s['session_id']:<38} {s['ended'] or '-':<25} turns={s['turns']:<5} "
                   f"tokens={_tokens(s['tokens'].get('total', 0)):<7} findings={len(s['findings'])}  "
                   f"{s['project'] or ''}")
        for f in s["findings"]:
            where = _where(f)
            click.echo(f"    {f['severity']:<7} {f['detector']}: {f['message']}" + (f" ({where})" if where else ""))
    _plain_summary(payload["summary"])


def _where(finding):
    return " ".join(f"{k}={v}" for k, v in (finding["where"] or {}).items())


def _plain_summary(summary):
    counts = summary["findings"]
    idx = summary["index"]
    click.echo(f"{summary['sessions']} session(s), {summary['turns']} turn(s), "
               f"{_tokens(summary['tokens'].get('total', 0))} tokens; findings: {counts['error']} error, "
               f"{counts['warning']} warning, {counts['info']} info; index: {idx['refreshed']} refreshed, "
               f"{idx['unchanged']} unchanged, {idx['bytes_read']} bytes read in {idx['elapsed_ms']:.0f} ms")


def _rich(payload):
    from rich.console import Console

    console = Console()
    table = rich_table("Sessions", ("provider", "session", "ended", ("turns", "right"), ("tokens", "right"),
                                    ("findings", "right"), "project"))
    style = {"error": "red", "warning": "yellow", "info": "cyan"}
    for s in payload["sessions"]:
        worst = next((sev for sev in ("error", "warning", "info") if any(f["severity"] == sev for f in s["findings"])),
                     None)
        table.add_row(s["provider"], s["session_id"], s["ended"] or "-", str(s["turns"]),
                      _tokens(s["tokens"].get("total", 0)), f"[{style.get(worst, 'default')}]{len(s['findings'])}[/]",
                      s["project"] or "")
    console.print(table)
    findings = rich_table("Findings", ("severity", "detector", "session", "message", "where"))
    for s in payload["sessions"]:
        for f in s["findings"]:
            findings.add_row(f"[{style.get(f['severity'], 'default')}]{f['severity']}[/]", f["detector"],
                             s["session_id"][:12], f["message"], _where(f))
    if findings.row_count:
        console.print(findings)
    _plain_summary(payload["summary"])


@click.command("scan")
@click.option("--provider", type=click.Choice(PROVIDERS), default=None, help="Only this CLI's sessions.")
@click.option("--since", default=None, metavar="WHEN",
              help="Only sessions active since: 7d, 24h, 20261101, 2026-11-01 or an ISO time.")
@click.option("--until", default=None, metavar="WHEN", help="Only sessions started before: the same forms "
              "(a date includes its day).")
@click.option("--session-id", default=None, metavar="ID", help="Only this session.")
@format_option()
@guarded
def command(provider, since, until, session_id, fmt):
    """Parse the session files (incrementally) and report tokens, composition and findings."""

    with user_store() as store:
        payload = scan.run(store, providers=[provider] if provider else None, since=since, until=until,
                           session_id=session_id, progress=progress_bar("scanning", enabled=fmt != "json"))
    emit(payload, fmt, plain=_plain, rich=_rich)
    sys.exit(1 if scan.has_errors(payload) else 0)
