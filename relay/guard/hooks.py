"""What happens on a guard alert besides the bus: a user command and a desktop notification.

`--on-alert CMD` runs CMD through the shell with the alert as one JSON document on stdin and as
RELAY_ALERT_* environment variables; it runs on its own thread (a greenlet under gevent) with a
timeout, so a slow or hanging command never holds up the proxy. The desktop notification uses
notify-send (Linux) or osascript (macOS) when present and is off by default. Failures are logged,
never raised: an alert hook must not break the exchange that caused it.
"""
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading

log = logging.getLogger(__name__)


def alert_env(alert):
    env = dict(os.environ)
    for key in ("id", "instance", "zone", "from", "to", "direction", "value_pct", "threshold_pct", "session_id",
                "window", "model"):
        value = alert.get(key)
        env["RELAY_ALERT_" + key.upper()] = "" if value is None else str(value)
    return env


def describe(alert):
    where = f"session {alert['session_id']}" if alert.get("session_id") else (alert.get("window") or "quota")
    return (f"{alert['zone']} {alert['from']} -> {alert['to']} at {alert['value_pct']:g}% ({where})")


def run_command(cmd, alert, timeout):
    """Run CMD once for `alert`; returns its exit code, or None when it failed to run or timed out.
    The command runs in a session of its own, so a timeout ends everything it started (a shell's
    children included), not the shell alone."""
    try:
        proc = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=alert_env(alert), start_new_session=True)
    except OSError as exc:
        log.warning("on-alert command could not run: %s", exc)
        return None
    try:
        _, stderr = proc.communicate(json.dumps(alert).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        log.warning("on-alert command timed out after %ss (alert %s)", timeout, alert["id"])
        return None
    if proc.returncode:
        log.warning("on-alert command exited %s: %s", proc.returncode, stderr.decode(errors="replace")[:200])
    return proc.returncode


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.communicate()


def notify(alert):
    """A desktop notification, when the platform has a notifier; False when it has none."""
    title, body = "relay guard", describe(alert)
    if sys.platform == "darwin" and shutil.which("osascript"):
        script = f"display notification {json.dumps(body)} with title {json.dumps(title)}"
        args = ["osascript", "-e", script]
    elif shutil.which("notify-send"):
        args = ["notify-send", "-u", "critical" if alert["to"] == "critical" else "normal", title, body]
    else:
        return False
    try:
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("desktop notification failed: %s", exc)
    return True


class Hooks:
    """fn(alert) for Guard(on_alert=...): fires the hooks in the background and returns at once."""

    def __init__(self, command=None, desktop=False, timeout=10.0):
        self.command, self.desktop, self.timeout = command or None, desktop, timeout

    def __bool__(self):
        return bool(self.command or self.desktop)

    def fire(self, alert):
        if self.command:
            run_command(self.command, alert, self.timeout)
        if self.desktop and alert["direction"] == "up":
            notify(alert)

    def __call__(self, alert):
        threading.Thread(target=self.fire, args=(alert,), name=f"guard-alert-{alert['id']}", daemon=True).start()
