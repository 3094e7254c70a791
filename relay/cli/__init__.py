"""The `relay` command group. Each command lives in its own module and is registered below."""
import importlib

import click

from relay import runtime

# (module, command attribute) in the order `relay -h` lists them; modules load lazily so that
# `relay serve` does not import the session parsers and `relay scan` does not import Flask.
COMMANDS = {
    "serve": "relay.cli.serve",
    "config": "relay.cli.config_cmd",
    "prune": "relay.cli.prune",
    "history": "relay.cli.history",
    "scan": "relay.cli.scan",
    "doctor": "relay.cli.doctor",
    "recover": "relay.cli.recover",
    "prices": "relay.cli.prices",
    "cost": "relay.cli.cost",
    "users": "relay.cli.users",
    "tokens": "relay.cli.tokens",
    "quota": "relay.cli.quota",
    "init": "relay.cli.init",
    "mcp": "relay.cli.mcp",
    "delegate": "relay.cli.delegate",
    "guard": "relay.cli.guard",
    "report": "relay.cli.report",
    "top": "relay.cli.top",
    "statusline": "relay.cli.statusline",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        module = COMMANDS.get(name)
        if module is None:
            return None
        return importlib.import_module(module).command


def _print_version(ctx, param, value):
    # A callback, not click.version_option: the commit may take a `git` call, only paid on --version.
    if not value or ctx.resilient_parsing:
        return
    click.echo(runtime.version_line())
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version, the build's commit and the layout, then exit.")
def cli():
    """relay: see what Claude Code, Codex CLI and Gemini CLI do with your money and context.

    \b
      relay serve                      proxy + API on 127.0.0.1:8083
      ANTHROPIC_BASE_URL=http://127.0.0.1:8083 claude
      curl -s 127.0.0.1:8083/api/v1/requests?limit=5
      relay scan                       diagnose the session files of every CLI
    """
