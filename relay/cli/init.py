"""`relay init`: set everything up in one go, or put it all back with --undo."""
import click

from relay import config, remote
from relay.cli.output import emit, format_option, guarded
from relay.errors import RelayError
from relay.setup import init

_MARK = {"changed": "+", "unchanged": "=", "skipped": "-", "planned": "~", "failed": "!"}


def _plain(payload):
    if "undone" in payload:
        for line in payload["undone"]:
            click.echo(line)
        return
    if payload["dry_run"]:
        click.echo("dry run: nothing is written")
    for step in payload["steps"]:
        where = f"  ({step['path']})" if step["path"] else ""
        click.echo(f"{_MARK[step['status']]} {step['step']:<16} {step['detail']}{where}")
    click.echo(f"backups and undo manifest: {payload['backups']}  (relay init --undo)")
    click.echo(f"dashboard: {payload['dashboard']}")


@click.command("init")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--skip-server", is_flag=True, help="Do not start relay serve in the background.")
@click.option("--port", type=int, default=None, help="relay's port [default: the port setting, 8083].")
@click.option("--codex/--no-codex", default=None, help="Point Codex at relay [default: when it is installed].")
@click.option("--gemini/--no-gemini", default=None, help="Point Gemini CLI at relay [default: when it is installed].")
@click.option("--statusline", is_flag=True,
              help="Also make `relay statusline` Claude Code's status line (a status line of your own is kept).")
@click.option("--force", is_flag=True, help="With --statusline: replace a status line of your own.")
@click.option("--remote", "remote_url", default=None, metavar="URL",
              help="Point the CLIs at a team relay at URL (e.g. http://relay.internal:8083) with your access token; "
                   "nothing local is set up.")
@click.option("--token-env", default="RELAY_TOKEN", show_default=True, metavar="NAME",
              help="With --remote: the environment variable holding your access token.")
@click.option("--undo", is_flag=True, help="Restore every file relay init changed and stop the server it started.")
@format_option()
@guarded
def command(dry_run, skip_server, port, codex, gemini, statusline, force, remote_url, token_env, undo, fmt):
    """Detect the CLIs, create the database, point Claude Code (and Codex, Gemini) at relay,
    register `relay mcp` with Claude Code, start relay and check its health.

    Every file is backed up before its first edit and edited in place; running it again changes
    nothing more.

    With --remote URL the CLIs go to a team relay (`relay serve --auth-tokens`) and send your
    token: Codex reads it from --token-env at each run; Claude Code's settings.json and Gemini
    CLI's .env cannot name a variable, so the token is written there and the files made 0600.
    """

    if undo:
        payload = init.undo()
    else:
        if port is None:
            port = config.load().port
        if not 1 <= port <= 65535:
            raise RelayError(f"--port must be from 1 to 65535, got {port}",
                             hint="relay init writes this port into the CLIs' settings, so it must be fixed")
        if remote_url:
            remote_url = remote.base_url(remote_url, "--remote")
        payload = init.run(port, dry_run=dry_run, skip_server=skip_server, codex=codex, gemini=gemini,
                           statusline=statusline, force=force, remote_url=remote_url, token_env=token_env)
    emit(payload, fmt, plain=_plain, rich=_plain)
    if any(s["status"] == "failed" for s in payload.get("steps", [])):
        raise SystemExit(1)
