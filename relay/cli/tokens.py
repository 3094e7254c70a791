"""`relay tokens add|list|revoke`: the per-person access tokens of a relay others can reach.

The file keeps only each token's SHA-256; `add` prints the token once, on stdout, so it can be
piped into a secret store. A running relay reads the file again when it changes.
"""
import click

from relay import config, paths
from relay.cli.output import guarded
from relay.web import tokens as tokens_file

FILE_OPTION = click.option("--file", "path", default=None, metavar="FILE",
                           help="Tokens file [default: the auth_tokens setting, else tokens.toml beside config.toml].")


def _path(path):
    return path or config.load().get("auth_tokens") or str(paths.config_path().parent / "tokens.toml")


@click.group("tokens")
def command():
    """Per-person access tokens for `relay serve --auth-tokens FILE`."""


@command.command("add")
@click.argument("name")
@FILE_OPTION
@guarded
def add(name, path):
    """Make a token for NAME and print it (only this once)."""
    path = _path(path)
    token = tokens_file.add(path, name)
    click.echo(token)
    click.echo(f"relay: token for {name} added to {path} (only its hash is kept; this is the one time it is shown). "
               f"Send it as the {tokens_file.HEADER} header: see docs/team.md.", err=True)


@command.command("list")
@FILE_OPTION
@guarded
def list_(path):
    """Who has a token, and since when."""
    path = _path(path)
    entries = tokens_file.read(path)
    for entry in entries:
        click.echo(f"{entry['person']:<32} since {entry.get('created') or '?'}")
    if not entries:
        click.echo(f"relay: no tokens in {path}", err=True)


@command.command("revoke")
@click.argument("name")
@FILE_OPTION
@guarded
def revoke(name, path):
    """Remove NAME's token; a running relay refuses it (and ends its sign-ins) from the next request."""
    path = _path(path)
    tokens_file.revoke(path, name)
    click.echo(f"relay: {name}'s token removed from {path}", err=True)
