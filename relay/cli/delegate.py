"""`relay delegate`: hand a task to another AI coding CLI and print its answer."""
import click

from relay.cli.output import emit, format_option, guarded
from relay.errors import RelayError
from relay.orch import routing
from relay.orch.clis import NAMES
from relay.orch.routing import STRATEGIES
from relay.present import orchestration as view
from relay.store import user_store


def _plain(payload):
    for a in payload["attempts"]:
        tokens = f", {a['total_tokens']} tokens" if a["total_tokens"] is not None else ""
        click.echo(f"[{a['cli']}: {a['status']} in {a['duration_ms'] / 1000:.1f} s{tokens}]"
                   + (f" {a['error']}" if a["error"] else ""), err=True)
    if payload["output"]:
        click.echo(payload["output"].rstrip("\n"))


@click.command("delegate")
@click.argument("task")
@click.option("--cli", "cli_name", type=click.Choice(NAMES), default=None, help="Run it on this CLI.")
@click.option("--strategy", type=click.Choice(STRATEGIES), default=None,
              help="How to choose the CLI [default: explicit with --cli, else first].")
@click.option("--cwd", type=click.Path(file_okay=False), default=None, help="Working directory [default: here].")
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds before the CLI is stopped.")
@click.option("--no-fallback", is_flag=True, help="Do not try another CLI when the first one fails.")
@format_option()
@guarded
def command(task, cli_name, strategy, cwd, timeout, no_fallback, fmt):
    """Run TASK on claude (-p), codex (exec) or gemini (-p) non-interactively; every attempt is
    recorded in relay's database (see /api/v1/delegations)."""

    if timeout <= 0:
        raise RelayError(f"--timeout must be positive, got {timeout:g}")
    with user_store() as store:
        result = routing.delegate(store, task, strategy=strategy, cli=cli_name, cwd=cwd, timeout=timeout,
                                  fallback=not no_fallback)
    payload = view.delegation_result(result)
    emit(payload, fmt, plain=_plain, rich=_plain)
    if payload["status"] != "ok":
        raise SystemExit(1)
