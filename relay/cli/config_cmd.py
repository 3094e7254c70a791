"""`relay config`: the effective settings and where each came from."""
import click

from relay import config, paths
from relay.cli.output import emit, format_option, guarded
from relay.store import pg


@click.command("config")
@format_option()
@guarded
def command(fmt):
    """Show the effective settings, their source and environment variable."""
    settings = config.load()
    rows = [{"name": s.name, "value": _shown(s.name, settings[s.name]), "source": settings.sources[s.name],
             "env": s.env, "help": s.help} for s in config.SETTINGS]
    payload = {"ok": True, "config_file": str(paths.config_path()), "settings": rows}
    emit(payload, fmt, plain=_plain, rich=_plain)


def _shown(name, value):
    # a database URL may carry a password
    return pg.shown(value) if name == "database_url" and value else value


def _plain(payload):
    click.echo(f"# config file: {payload['config_file']}")
    for row in payload["settings"]:
        click.echo(f"{row['name']:<20} {row['value']!s:<32} ({row['source']}; {row['env']})")
