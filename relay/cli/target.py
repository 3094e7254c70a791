"""Which running relay `relay top` and `relay guard` ask: --url (a team relay behind HTTPS or a
path prefix), else --host/--port, else RELAY_URL, else the host and port settings."""
import os

import click

from relay import config, remote
from relay.errors import RelayError


def options(command):
    """--url, --host and --port, in that order in --help."""
    for option in reversed([
        click.option("--url", default=None, metavar="URL",
                     help=f"The relay's base URL, path prefix included (e.g. https://relay.internal/team/) "
                          f"[default: env {remote.URL_ENV}, else --host/--port]."),
        click.option("--host", default=None, help="Address of the running relay [default: the host setting, "
                                                   "127.0.0.1; env RELAY_HOST]."),
        click.option("--port", type=int, default=None, help="Its port [default: the port setting, 8083; "
                                                             "env RELAY_PORT]."),
    ]):
        command = option(command)
    return command


def host_url(host, port):
    # A relay bound to every interface is still reached on loopback.
    host = "127.0.0.1" if host in ("0.0.0.0", "", None) else "::1" if host == "::" else host
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def resolve(url, host, port, environ=None):
    """(base URL, settings). Flags beat the environment: --host/--port given on the command line
    win over RELAY_URL, which wins over the host and port settings."""
    environ = os.environ if environ is None else environ
    if url is not None and (host is not None or port is not None):
        raise RelayError("--url names the relay by itself: give --url or --host/--port, not both")
    settings = config.load({"host": host, "port": port})
    if url is None and host is None and port is None:
        url = (environ.get(remote.URL_ENV) or "").strip() or None
        if url is not None:
            return remote.base_url(url, remote.URL_ENV), settings
    if url is not None:
        return remote.base_url(url), settings
    return host_url(settings.host, settings.port), settings
