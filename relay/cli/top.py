"""`relay top`: a live terminal view of sessions, request and token rates, cost, cache, errors,
quota and guard state, fed by the running relay; reads the database when no relay answers."""
import os

import click

from relay import remote
from relay.cli import target
from relay.cli.output import guarded
from relay.store import open_user_store
from relay.tui import feed as feeds
from relay.tui import top


@click.command("top")
@target.options
@click.option("--refresh", type=click.FloatRange(min=0.1, max=3600), default=1.0, show_default=True,
              help="Seconds between frames (a finished request redraws at once).")
@click.option("--once", is_flag=True, help="Print one frame and exit (for pipes and scripts).")
@click.option("--width", type=click.IntRange(min=40), default=None, help="Columns to render [default: the terminal's].")
@guarded
def command(url, host, port, refresh, once, width):
    """Watch relay live, like top: sessions, req/s, tokens, cost, quota, cache, errors, guard.

    A team relay: --url https://relay.internal/team/ (or RELAY_URL). A relay with access tokens
    needs yours in the environment: RELAY_TOKEN."""
    from rich.console import Console

    url, settings = target.resolve(url, host, port)
    live = feeds.LiveFeed(url, token=remote.token(os.environ))

    def open_db(note):
        return feeds.DbFeed(settings, open_user_store(), note=note)

    if live.probe():
        feed = feeds.AutoFeed(live if once else live.start(), open_db)
    else:
        feed = open_db(f"no relay answering at {url}; reading the database")
    try:
        top.run(feed, refresh, Console(width=width), once=once)
    finally:
        feed.close()
