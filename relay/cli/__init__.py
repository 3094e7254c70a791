"""The `relay` command group. Each command lives in its own module and is registered below."""
import importlib

import click

from relay import __version__

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
    "quota": "relay.cli.quota",
    "init": "relay.cli.init",
    "mcp": "relay.cli.mcp",
    "delegate": "relay.cli.delegate",
    "guard": "relay.cli.guard",
    "report": "relay.cli.report",
    "top": "relay.cli.top",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        module = COMMANDS.get(name)
        if module is None:
            return None
        return getattr(importlib.import_module(module), "command")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="relay")
def cli():
    """relay: see what Claude Code, Codex CLI and Gemini CLI do with your money and context.

    \b
      relay serve                      proxy + API on 127.0.0.1:8083
      ANTHROPIC_BASE_URL=http://127.0.0.1:8083 claude
      curl -s 127.0.0.1:8083/api/v1/requests?limit=5
      relay scan                       diagnose the session files of every CLI
    """
