"""`relay guard`: the guard's tiers now, or `--daemon` to follow a running relay's alerts.

Without --daemon the state comes from a running relay's /api/v1/guard; when none answers it is
replayed from the database (the last hours of proxied exchanges) and says so. The daemon polls
/api/v1/guard?after=<last id> and fires its hooks once per new alert; a relay restart shows up
as a new `instance` (its alert ids start again at 1), which the daemon reports and follows.
"""
import os
import signal
import time

import click

from relay import guard, remote
from relay.cli import target
from relay.cli.output import emit, format_option, guarded
from relay.guard.hooks import Hooks, describe
from relay.present import guard as view
from relay.store import user_store


def _fetch(base, after=None, timeout=3.0):
    """The guard payload of the relay at `base`, or None when nothing answers there; a relay with
    access tokens that refuses ours (or gets none) raises remote.TokenRefused, so neither the
    daemon nor the one-shot view mistakes it for a relay that is down."""
    import requests
    token = remote.token(os.environ)
    try:
        response = requests.get(f"{base}/api/v1/guard", params={} if after is None else {"after": after},
                                headers=remote.headers(token), timeout=timeout)
    except requests.RequestException:
        return None
    if response.status_code == 401:
        raise remote.TokenRefused(base, bool(token))
    try:
        return response.json()["guard"] if response.ok else None
    except (ValueError, KeyError):
        return None


def _from_db(settings, base):

    with user_store() as store:
        snapshot = guard.replay(store, guard.thresholds_from(settings)).snapshot()
    note = f"no relay answering at {base}: " + guard.REPLAY_NOTE.format(hours=guard.PRIME_S // 3600)
    return view.guard(snapshot, source="database", note=note)


def _plain(payload):
    q = payload["quota"]
    click.echo(f"source: {payload['source']}" + (f" ({payload['note']})" if payload.get("note") else ""))
    click.echo(f"quota    {q['tier']:<8} " + (f"{q['value_pct']:g}% ({q['window']}, {q['at']})"
                                               if q["value_pct"] is not None else "no utilization measured"))
    click.echo(f"context  {payload['zones']['context']:<8} (worst session)")
    for s in payload["sessions"][:20]:
        click.echo(f"  {s['tier']:<8} {s['value_pct']:>6.1f}% of {s['context_window']:,}  {s['session_id']}  "
                   f"{s.get('model') or '-'}  {s['at']}")
    for a in payload["alerts"][-10:]:
        click.echo(f"alert #{a['id']} {a['at']}  " + _describe(a))


def _describe(alert):
    return describe(alert)


class _Stop(Exception):
    pass


def _daemon(base, interval, hooks):
    """Poll until SIGINT/SIGTERM; fire hooks once per alert id of the relay instance followed."""
    def stop(signum, frame):
        raise _Stop()
    signal.signal(signal.SIGTERM, stop)
    instance, last, reachable = None, 0, None
    click.echo(f"guard daemon following {base} every {interval:g}s", err=True)
    try:
        while True:
            payload = _fetch(base, after=last if instance else None)
            if payload is None:
                if reachable is not False:
                    click.echo(f"relay at {base} is not answering; retrying every {interval:g}s", err=True)
                reachable = False
            else:
                if reachable is False:
                    click.echo(f"relay at {base} is answering again", err=True)
                reachable = True
                if instance is None:
                    instance, last = payload["instance"], payload["last_alert_id"]   # history is not news
                    click.echo(f"watching relay instance {instance} after alert #{last}", err=True)
                elif payload["instance"] != instance:
                    click.echo(f"relay restarted (instance {payload['instance']}); following it", err=True)
                    instance, last = payload["instance"], 0
                    payload = _fetch(base, after=0) or {"alerts": []}
                for alert in sorted(payload["alerts"], key=lambda a: a["id"]):
                    if alert["id"] <= last:
                        continue
                    last = alert["id"]
                    click.echo(f"alert #{alert['id']} {alert['at']}  {_describe(alert)}")
                    hooks.fire(alert)
            time.sleep(interval)
    except (_Stop, KeyboardInterrupt):
        click.echo("guard daemon stopped", err=True)


@click.command("guard")
@click.option("--daemon", is_flag=True, help="Follow a running relay and fire hooks on each new alert.")
@target.options
@click.option("--interval", type=click.FloatRange(min=0.05), default=2.0, show_default=True,
              help="Seconds between polls (--daemon).")
@click.option("--on-alert", "on_alert", default=None, metavar="CMD",
              help="Shell command per alert: alert JSON on stdin, RELAY_ALERT_* env (--daemon).")
@click.option("--notify", is_flag=True, help="Desktop notification when a tier rises (--daemon).")
@format_option()
@guarded
def command(daemon, url, host, port, interval, on_alert, notify, fmt):
    """Guard tiers (ok, notice, warn, critical) of the quota and of each session's context window.

    A team relay: --url https://relay.internal/team/ (or RELAY_URL). A relay with access tokens
    needs yours in the environment: RELAY_TOKEN."""

    base, settings = target.resolve(url, host, port)
    if daemon:
        _daemon(base, interval, Hooks(on_alert or settings.guard_on_alert, notify or settings.guard_notify,
                                      settings.guard_hook_timeout))
        return
    payload = _fetch(base) or _from_db(settings, base)
    emit(payload, fmt, plain=_plain, rich=_plain)
