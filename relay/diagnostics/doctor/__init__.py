"""`relay doctor`: twelve checks of the setup around relay, each pass / warn / fail with a fix.

  claude_settings  Claude Code's ANTHROPIC_BASE_URL (settings.json env, process env) points at
                   relay, and relay answers GET /api/v1/health
  clis_via_relay   Codex and Gemini CLI, when pointed at relay, reach a relay that answers
  mcp              relay is registered as an MCP server (~/.claude.json user or project scope,
                   or ./.mcp.json) and its command and script exist
  client_configs   ~/.claude.json parses (no null bytes from a cut write) and its mcpServers.relay
                   entry runs a command that exists (an http entry: a port that listens);
                   Codex's config.toml parses (else a failed check with its line and column)
  database         relay.db passes PRAGMA integrity_check (quick_check over 256 MB) and its
                   schema is the one this relay writes; with a PostgreSQL database_url: the
                   server answers, its version, relay's migration level there
  session_dirs     the Claude Code, Codex and Gemini session directories are readable
  disk_space       free space where the data dir lives
  stale_pids       *.pid / *.lock files in the data dir whose process is gone
  env_conflicts    base-URL variables pointing at a local port where nothing listens, settings
                   and environment disagreeing, an API key and an auth token both set
  runtime          layout (source, installed, zipapp, binary), build commit, and the modes the
                   optional compiled parts allow: server gevent or waitress, liveness via
                   psutil or /proc, MCP available or not
  team_relay       a team relay the CLIs send X-Relay-Token to answers and accepts this token
  otlp             with otlp_endpoint set: the SDK is there and the last export reached the collector
`run(ctx, fix=True)` applies only the fixes marked safe (pointing Claude Code at a relay that
answers, migrating the database, removing stale pid files), each after a backup of the file it
changes, then runs the checks again. An edit of a user's file goes through relay.userfiles, so
`relay init --undo` takes it back. The checks are in checks.py, what they measure in probes.py.
"""
import sqlite3

from relay import paths
from relay.diagnostics.doctor import checks, probes
from relay.diagnostics.doctor.model import STATUSES, Check, Context
from relay.errors import RelayError

__all__ = ["STATUSES", "Check", "Context", "run"]


def run(ctx, fix=False):
    """Run the checks; with `fix`, apply the safe fixes and check again."""
    _follow_running_relay(ctx)
    found = [_guarded(c, ctx) for c in checks.CHECKS]
    actions = []
    if fix:
        for check in found:
            if check.apply is None:
                continue
            try:
                actions.extend({"check": check.name, **a} for a in check.apply())
            except (OSError, sqlite3.Error, ValueError, RelayError) as exc:
                actions.append({"check": check.name, "did": f"fix failed: {exc}", "backup": None})
        if actions:
            found = [_guarded(c, ctx) for c in checks.CHECKS]
    return {"ok": all(c.status != "fail" for c in found), "checks": [c.to_dict() for c in found],
            "fixed": actions}


def _follow_running_relay(ctx):
    """A relay started with --port N (or by relay init on another port) is the one to check:
    when nothing answers at the configured port, the port relay.pid records is tried."""
    if ctx.running_port or probes.health(ctx):
        return
    pid, port = probes.pid_file(paths.pid_path(ctx.environ))
    if port and port != ctx.settings["port"] and probes.pid_state(pid) == "relay":
        ctx.running_port = port
        if probes.health(ctx) is None:
            ctx.running_port = None


def _guarded(check_fn, ctx):
    name = check_fn.__name__.removeprefix("check_")
    try:
        return check_fn(ctx)
    except Exception as exc:  # a broken check is reported, the other seven still run
        return Check(name, "fail", f"the check itself failed: {type(exc).__name__}: {exc}",
                     "please report this with the output of `relay doctor --format json`")
