"""`relay serve`: the proxy, the API and the pages on one port."""
import logging
import sys

import click

from relay import config, paths, runtime
from relay.bus import Bus
from relay.cli.output import guarded
from relay.proxy.mounts import ROUTES
from relay.proxy.upstream import Upstream
from relay.store import journal, open_user_store
from relay.store.writes import mark_unfinished
from relay.web import server as web_server
from relay.web.app import create_app
from relay.web.tokens import Tokens, check_bind

STOP_WRITE_SECONDS = 300   # how long a stop waits for queued records to be written


@click.command("serve")
@click.option("--host", default=None, help="Address to bind [default: 127.0.0.1; env RELAY_HOST].")
@click.option("--port", type=int, default=None, help="Port [default: 8083; 0 picks a free one; env RELAY_PORT].")
@click.option("--upstream-anthropic", default=None, metavar="URL",
              help="Anthropic API base URL [default: https://api.anthropic.com; env RELAY_UPSTREAM_ANTHROPIC].")
@click.option("--upstream-openai", default=None, metavar="URL",
              help="OpenAI API base URL for the /openai mount "
                   "[default: https://api.openai.com; env RELAY_UPSTREAM_OPENAI].")
@click.option("--upstream-gemini", default=None, metavar="URL",
              help="Gemini API base URL for the /gemini mount "
                   "[default: https://generativelanguage.googleapis.com; env RELAY_UPSTREAM_GEMINI].")
@click.option("--upstream-chatgpt", default=None, metavar="URL",
              help="ChatGPT backend base URL for the /backend-api mount (Codex with a ChatGPT login) "
                   "[default: https://chatgpt.com; env RELAY_UPSTREAM_CHATGPT].")
@click.option("--upstream-code-assist", default=None, metavar="URL",
              help="Code Assist base URL for the /v1internal mount (Gemini CLI with a Google login) "
                   "[default: https://cloudcode-pa.googleapis.com; env RELAY_UPSTREAM_CODE_ASSIST].")
@click.option("--server", type=click.Choice(["gevent", "waitress"]), default=None,
              help="WSGI server [default: gevent; env RELAY_SERVER].")
@click.option("--prune", type=click.Choice(["off", "gentle", "standard", "aggressive"]), default=None,
              help="Prune request bodies up to this tier [default: off; env RELAY_PRUNE].")
@click.option("--prune-dry-run", is_flag=True, default=None,
              help="Record what pruning would remove but send the original body [env RELAY_PRUNE_DRY_RUN].")
@click.option("--prune-force", is_flag=True, default=None,
              help="Apply edits even where breaking the prompt cache costs more [env RELAY_PRUNE_FORCE].")
@click.option("--history", is_flag=True, default=None,
              help="Capture requests and responses per session [default: off; env RELAY_HISTORY].")
@click.option("--history-full-every", type=int, default=None, metavar="N",
              help="Full snapshot of the messages every N turns [default: 50; env RELAY_HISTORY_FULL_EVERY].")
@click.option("--on-alert", "guard_on_alert", default=None, metavar="CMD",
              help="Run CMD on each guard alert (JSON on stdin, RELAY_ALERT_* env) [env RELAY_GUARD_ON_ALERT].")
@click.option("--notify", "guard_notify", is_flag=True, default=None,
              help="Desktop notification when a guard tier rises [default: off; env RELAY_GUARD_NOTIFY].")
@click.option("--auth-tokens", default=None, metavar="FILE",
              help="Require a person's access token (made with `relay tokens add`) on the proxy, pages and API; "
                   "needed to bind beyond loopback [env RELAY_AUTH_TOKENS].")
@guarded
def command(host, port, upstream_anthropic, upstream_openai, upstream_gemini, upstream_chatgpt, upstream_code_assist,
            server, prune, prune_dry_run, prune_force,
            history, history_full_every, guard_on_alert, guard_notify, auth_tokens):
    """Run the proxy and the API (data in RELAY_HOME or the user's data dir)."""
    settings = config.load({"host": host, "port": port, "upstream_anthropic": upstream_anthropic,
                            "upstream_openai": upstream_openai, "upstream_gemini": upstream_gemini,
                            "upstream_chatgpt": upstream_chatgpt, "upstream_code_assist": upstream_code_assist,
                            "server": server,
                            "prune": prune, "prune_dry_run": prune_dry_run, "prune_force": prune_force,
                            "history": history, "history_full_every": history_full_every,
                            "guard_on_alert": guard_on_alert, "guard_notify": guard_notify,
                            "auth_tokens": auth_tokens})
    check_bind(settings.host, settings.auth_tokens, settings.allow_unauthenticated)
    tokens = Tokens(settings.auth_tokens) if settings.auth_tokens else None
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)

    store = open_user_store(settings.database_url)
    claim, alone = web_server.claim_data_dir(paths.lock_path())
    if alone:
        recovered = journal.replay(store)
        if recovered:
            web_server.say(f"relay: recovered {recovered} finished exchange(s) from the journal of a relay "
                           f"that was killed before writing them")
        left_open = store.write(mark_unfinished(reason="relay was stopped or killed before the exchange ended",
                                                mine=store.shared,
                                                people=tokens.people if tokens else ()))
        if left_open:
            click.echo(f"relay: marked {left_open} exchange(s) left open by an earlier run as interrupted", err=True)
    else:
        click.echo("relay: another relay uses this data dir; its open exchanges are left to it", err=True)
    store.start()
    upstreams = {route.setting: Upstream(settings[route.setting], settings.connect_timeout,
                                                   settings.read_timeout) for route in ROUTES}
    exchange_journal = journal.Journal(store)
    app = create_app(settings, store, Bus(), upstreams, journal=exchange_journal, tokens=tokens)
    pid_file = paths.pid_path()

    def on_ready(kind, bound_host, bound_port):
        web_server.write_pid(pid_file, bound_port)
        pruning = "off" if settings.prune == "off" else settings.prune + (" dry-run" if settings.prune_dry_run else "")
        click.echo(f"relay {kind} listening on http://{bound_host}:{bound_port} "
                   f"(upstreams {', '.join(f'{r.prefix} -> {settings[r.setting]}' for r in ROUTES)}, "
                   f"db {store.location}, pruning {pruning}, "
                   f"history {'on' if settings.history else 'off'}, "
                   f"access {f'tokens of {len(tokens.people)} people' if tokens else 'without tokens'})", err=True)
        liveness, note = runtime.liveness_mode()
        if liveness != "psutil":
            click.echo(f"relay: liveness: {note}", err=True)
        # One machine-readable line on stdout, for scripts and tests that start relay on port 0.
        click.echo(f"listening http://{bound_host}:{bound_port}")
        sys.stdout.flush()

    def on_stop():
        store.submit(mark_unfinished(reason="relay stopped while the exchange was open", ids=list(proxy.open_ids)))
        if store.queued > 1:
            # Under heavy traffic the writer can be behind: what was proxied is written before exit.
            web_server.say(f"relay: writing {store.queued - 1} queued record(s) before exit")
        store.close(timeout=STOP_WRITE_SECONDS)
        exchange_journal.close(committed=store.queued == 0)
        if app.extensions["relay"].telemetry is not None:   # flush what the SDK still holds
            app.extensions["relay"].telemetry.stop()
        for upstream in upstreams.values():
            upstream.close()
        web_server.remove_pid(pid_file)
        if claim is not None:
            claim.close()
        web_server.say("relay: stopped")

    proxy = app.extensions["relay"].proxy
    web_server.serve(app, settings.host, settings.port, settings.server, on_ready, on_stop,
                     busy=lambda: proxy.in_flight)
