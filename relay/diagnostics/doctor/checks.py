"""The `relay doctor` checks, in the order they print. Each takes the doctor Context and
returns one Check; a fix that is safe to apply unattended is attached as `apply`."""
import functools
import importlib.util
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

from relay import clients, paths, remote, runtime, userfiles
from relay.clients import claude, codex, gemini
from relay.diagnostics.doctor import probes
from relay.diagnostics.doctor.model import Check
from relay.diagnostics.doctor.probes import endpoint, health, health_at, listening
from relay.store import Store, migrations, pg

FULL_CHECK_MAX_BYTES = 256 << 20
WARN_FREE_BYTES = 1 << 30
FAIL_FREE_BYTES = 100 << 20

# --- 1. Claude Code -> relay ---------------------------------------------------------------

def check_claude_settings(ctx):
    path = claude.settings_path(ctx.environ)
    _, error = userfiles.read_json(path)
    if error:
        return Check("claude_settings", "fail", error, f"fix the JSON syntax of {path}")
    from_file, from_env = claude.settings_base_url(ctx.environ), ctx.environ.get(claude.BASE_URL_VAR)
    configured = from_file or from_env
    source = "settings.json" if from_file else "the environment"
    answer = health(ctx)
    relay = ctx.relay_url
    if configured and endpoint(configured) == endpoint(relay):
        if answer:
            return Check("claude_settings", "pass",
                         f"Claude Code goes through relay ({configured}, from {source}); relay "
                         f"{answer.get('version', '?')} answers")
        return Check("claude_settings", "fail",
                     f"Claude Code is pointed at relay ({configured}, from {source}) but relay does not answer "
                     "there: every Claude Code request fails",
                     f"start relay with `relay serve`, or remove ANTHROPIC_BASE_URL from {source}")
    # Safe only when relay answers and nothing live is replaced: settings.json wins over the
    # environment, so a live proxy named in either one is left alone.
    apply = None
    if answer and _unset_or_dead(from_file, ctx) and (from_file or _unset_or_dead(from_env, ctx)):
        apply = functools.partial(_point_settings_at, ctx.environ, relay)
    team = _team_relay(ctx)
    if configured and team and endpoint(configured) == endpoint(team[0]):
        return Check("claude_settings", "pass", f"Claude Code goes through the team relay at {configured} "
                     f"(from {source}); see the team_relay check")
    if configured:
        return Check("claude_settings", "warn",
                     f"Claude Code goes to {configured} (from {source}), not to relay at {relay}",
                     f'set "env": {{"ANTHROPIC_BASE_URL": "{relay}"}} in {path}', apply)
    return Check("claude_settings", "warn", "Claude Code does not go through relay (no ANTHROPIC_BASE_URL)",
                 f'set "env": {{"ANTHROPIC_BASE_URL": "{relay}"}} in {path}'
                 + ("" if answer else ", after starting relay with `relay serve`"), apply)


def _unset_or_dead(url, ctx):
    return not url or listening(url, ctx.timeout) is False


def _fix_json(environ, path, assignments, did):
    # The same edit `relay init` makes, recorded in the same manifest: `relay init --undo` takes it back.
    plan = userfiles.plan_json(path, assignments)
    if plan is None:
        return []
    entry = userfiles.apply(userfiles.Manifest(environ), path, *plan)
    return [{"did": did, "backup": entry["backup"]}]


def _point_settings_at(environ, url):
    path = claude.settings_path(environ)
    return _fix_json(environ, path, claude.base_url_setting(url), f"set env.{claude.BASE_URL_VAR} to {url} in {path}")


# --- 1b. Codex and Gemini CLI -> relay -------------------------------------------------------

def check_clis_via_relay(ctx):
    """Codex and Gemini CLI, when relay init (or the user) pointed them at relay: a relay that does
    not answer there breaks every request they make, whatever their login."""
    relay, answer = ctx.relay_url, None
    pointed, dead = [], []
    for name, module, where in (("Codex", codex, "config.toml"), ("Gemini CLI", gemini, ".env")):
        url = module.base_url(ctx.environ)
        if not url:
            continue
        ep = endpoint(url)
        if ep is not None and ep == endpoint(relay):
            answer = answer if answer is not None else (health(ctx) or False)
            (pointed if answer else dead).append(f"{name} ({url}, from its {where})")
        elif ep is not None and ep[0] == "loopback" and listening(url, ctx.timeout) is False:
            dead.append(f"{name} ({url}, from its {where}, nothing listens there)")
    if dead:
        return Check("clis_via_relay", "fail",
                     f"{', '.join(dead)} pointed at relay, but relay is not running there: every request of "
                     "that CLI fails", "start relay with `relay serve` (or `relay init`), or put the CLIs back "
                     "with `relay init --undo`")
    if pointed:
        return Check("clis_via_relay", "pass", f"{', '.join(pointed)} go through relay, and relay answers")
    return Check("clis_via_relay", "pass", "Codex and Gemini CLI do not go through relay (run `relay init` "
                 "to route them)")


# --- 2. MCP registration -------------------------------------------------------------------

def _command_exists(command):
    if not command:
        return False
    return Path(command).exists() if os.sep in command else shutil.which(command) is not None


def _runnable(spec):
    """The command exists and so does the script it is given (python + relay.py or a zipapp)."""
    scripts = [a for a in spec.get("args") or [] if isinstance(a, str) and a.endswith((".py", ".pyz"))]
    return _command_exists(spec.get("command")) and all(Path(a).is_file() for a in scripts)


def _register_command():
    """How to register this relay: `relay init` writes the same entry (paths.self_command() + mcp)."""
    command = " ".join(paths.self_command())
    return f"relay init (or: claude mcp add --scope user relay -- {command} mcp)"


def check_mcp(ctx):
    here = f"project {ctx.cwd}"
    register = _register_command()
    found = claude.registrations(ctx.environ, ctx.cwd)
    if not found:
        return Check("mcp", "warn", "relay is not registered as an MCP server in Claude Code", f"run `{register}`")
    broken = [(w, n, s) for w, n, s in found if not _runnable(s)]
    if broken:
        where, name, spec = broken[0]
        argv = " ".join([spec.get("command") or "", *[a for a in spec.get("args") or [] if isinstance(a, str)]])
        return Check("mcp", "fail",
                     f"MCP server {name!r} ({where}) runs {argv!r}, whose command or script does not exist",
                     f"remove it with `claude mcp remove {name}` and run `{register}`")
    usable = [(w, n) for w, n, _ in found if w in ("user scope", here) or w.endswith(".mcp.json")]
    if not usable:
        return Check("mcp", "warn", f"relay is registered only for {found[0][0]}, not for {ctx.cwd}",
                     f"run `{register}` to make it available in every project")
    where, name = usable[0]
    if where.endswith(".mcp.json") and not claude.approved(ctx.environ, ctx.cwd, name):
        local = ctx.cwd / ".claude" / "settings.local.json"
        return Check("mcp", "warn", f"relay is in {where} as {name!r} but not approved: Claude Code keeps it pending",
                     f'run `claude` in {ctx.cwd} and approve it, or add "enabledMcpjsonServers": ["{name}"] to {local}')
    return Check("mcp", "pass", f"relay is registered as MCP server {name!r} ({where})")


# --- 2b. the CLIs' own config files ---------------------------------------------------------

def check_client_configs(ctx):
    """~/.claude.json parses (a crash can leave null bytes in it), its user-scope relay MCP entry
    runs a command that exists (or, for an http entry, a port where something listens), and
    Codex's config.toml parses; a failure names the file, and for TOML the line and column."""
    problems, fixes, apply = [], [], []
    path = claude.user_config_path(ctx.environ)
    raw = _read_bytes(path)
    if raw is not None and b"\0" in raw:
        nulls = raw.count(b"\0")
        problems.append(f"{path} holds {nulls} null byte(s) (a write cut short)")
        fixes.append(f"remove the null bytes from {path}")
        if _json_object(raw.replace(b"\0", b"")):
            apply.append(functools.partial(_strip_nulls, ctx.environ, path))
    elif raw is not None and _json_object(raw) is None:
        _, error = userfiles.read_json(path)
        problems.append(error or f"{path} does not hold a JSON object")
        fixes.append(f"fix the JSON of {path} by hand or restore it from {claude.home(ctx.environ) / 'backups'}")
    data = _json_object(raw.replace(b"\0", b"")) if raw is not None else None
    spec = (data.get("mcpServers") or {}).get(claude.MCP_NAME) if isinstance(data, dict) and \
        isinstance(data.get("mcpServers"), dict) else None
    if isinstance(spec, dict) and _stale(spec, ctx):
        what = spec.get("url") or spec.get("command")
        problems.append(f"the mcpServers.{claude.MCP_NAME} entry of {path} points at {what!r}, which is gone")
        fixes.append("rewrite it with `relay init`")
        apply.append(functools.partial(_register, ctx.environ))
    toml = codex.config_path(ctx.environ)
    error = codex.config_error(toml)
    if error:
        problems.append(error)
        fixes.append(f"fix {toml} by hand (Codex cannot start with it either)")
    if not problems:
        return Check("client_configs", "pass", f"{path.name} and Codex's config.toml are readable")
    return Check("client_configs", "fail", "; ".join(problems), "; ".join(fixes),
                 (lambda: [a for fix in apply for a in fix()]) if apply and len(apply) == len(problems) else None)


def _read_bytes(path):
    try:
        return path.read_bytes()
    except OSError:
        return None


def _json_object(raw):
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _stale(spec, ctx):
    url = spec.get("url")
    if isinstance(url, str) and url:
        ep = endpoint(url)
        return ep is not None and ep[0] == "loopback" and listening(url, ctx.timeout) is False
    return not _runnable(spec)


def _strip_nulls(environ, path):
    text = path.read_bytes().replace(b"\0", b"").decode("utf-8")
    entry = userfiles.apply(userfiles.Manifest(environ), path, text, {})
    return [{"did": f"removed null bytes from {path}", "backup": entry["backup"]}]


def _register(environ):
    path = claude.user_config_path(environ)
    return _fix_json(environ, path, claude.mcp_setting(environ), f"rewrote mcpServers.{claude.MCP_NAME} in {path}")


# --- 3. database -----------------------------------------------------------------------------

def check_database(ctx):
    url = ctx.settings["database_url"]
    if pg.is_url(url):
        return check_postgres(ctx, url)
    path = paths.db_path(ctx.environ)
    if not path.exists():
        return Check("database", "pass", f"no database yet at {path}; `relay serve` creates it")
    pragma = "integrity_check" if path.stat().st_size <= FULL_CHECK_MAX_BYTES else "quick_check"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            result = [r[0] for r in conn.execute(f"PRAGMA {pragma}")]
            has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_relay_migrations'").fetchone()
            applied = {r[0] for r in conn.execute("SELECT name FROM _relay_migrations")} if has_table else set()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check("database", "fail", f"{path} cannot be read as a database: {exc}",
                     f"stop relay, move {path.name} aside (it is kept for recovery) and start relay again")
    if result != ["ok"]:
        return Check("database", "fail", f"{path} failed PRAGMA {pragma}: {'; '.join(result[:3])}",
                     f"stop relay, copy {path.name} aside, then try `sqlite3 {path} .recover` into a new file")
    problem = _schema(path, applied, functools.partial(_migrate, path), "RELAY_HOME at another directory",
                      " (it backs the file up first)")
    if problem is not None:
        return problem
    return Check("database", "pass", f"{path} passes PRAGMA {pragma}; schema {len(applied)} is current")


def _schema(where, applied, migrate, elsewhere, how):
    """The migration level of a database that opened, against this relay's list (None: current).
    `elsewhere`: where else relay could keep its data; `how`: what migrating does first."""
    known = {fn.__name__ for fn in migrations.MIGRATIONS}
    if applied - known:
        return Check("database", "fail",
                     f"{where} was written by a newer relay (unknown migrations: {', '.join(sorted(applied - known))})",
                     f"upgrade relay, or point {elsewhere}")
    missing = len(known - applied)
    if missing:
        return Check("database", "warn", f"{where} is at schema {len(applied)} of {migrations.latest_version()} "
                                         f"({missing} migration(s) pending)",
                     f"run `relay doctor --fix`{how} or start `relay serve`", migrate)
    return None


def check_postgres(ctx, url):
    """database_url names a PostgreSQL server: connect (read-only), report its version and relay's
    migration level there. The URL is shown with its password masked."""
    shown = pg.shown(url)
    try:
        version, applied = pg.probe(url, timeout=max(2, ctx.timeout))
    except ImportError:
        return Check("database", "fail", f"database_url is PostgreSQL ({shown}) but psycopg is not installed",
                     "pip install 'relay[postgres]' (psycopg[binary] and psycopg_pool), or unset database_url "
                     "to use SQLite in the data dir")
    except Exception as exc:   # psycopg's errors: server down, login refused, no such database
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Check("database", "fail", f"cannot connect to {shown}: {type(exc).__name__}: {detail}",
                     "check that the server is up and reachable, and that the URL's user may connect")
    migrate = functools.partial(_migrate_server, paths.db_path(ctx.environ), url)
    if applied is None:
        return Check("database", "warn", f"{shown} (PostgreSQL {version}) has no relay schema yet",
                     "run `relay doctor --fix` or start `relay serve`; either creates it", migrate)
    problem = _schema(f"{shown} (PostgreSQL {version})", applied, migrate, "database_url at another database", "")
    if problem is not None:
        return problem
    return Check("database", "pass", f"{shown}: PostgreSQL {version}; schema {len(applied)} is current")


def _migrate_server(path, url):
    Store(path, url=url).close()
    return [{"did": f"migrated {pg.shown(url)} to schema {migrations.latest_version()}", "backup": None}]


def _migrate(path):
    saved = userfiles.backup_path(path)
    # The backup API, not a file copy: it includes what still sits in the -wal file.
    src, dst = sqlite3.connect(str(path)), sqlite3.connect(str(saved))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    Store(path).close()
    return [{"did": f"migrated {path} to schema {migrations.latest_version()}", "backup": str(saved)}]


# --- 4. session directories ------------------------------------------------------------------

def _session_roots(ctx):
    return [(c.NAME, c.session_root(ctx.environ)) for c in clients.all_clients()]


def check_session_dirs(ctx):
    seen, problems = [], []
    for provider, root in _session_roots(ctx):
        if not root.exists():
            continue
        if not root.is_dir():
            problems.append(f"{provider}: {root} is not a directory")
            continue
        try:
            seen.append(f"{provider} ({len(probes.list_dir(root))} entries)")
        except OSError as exc:
            problems.append(f"{provider}: {root} cannot be listed ({exc.strerror or exc})")
    if problems:
        return Check("session_dirs", "fail", "; ".join(problems),
                     "give your user read access (`chmod -R u+rX <dir>`) or point RELAY_CLAUDE_HOME / "
                     "RELAY_CODEX_HOME / RELAY_GEMINI_HOME at the right place")
    if not seen:
        roots = ", ".join(str(r) for _, r in _session_roots(ctx))
        return Check("session_dirs", "warn", f"no session directories found ({roots})",
                     "use one of the CLIs once, or set RELAY_CLAUDE_HOME / RELAY_CODEX_HOME / RELAY_GEMINI_HOME")
    return Check("session_dirs", "pass", "readable: " + ", ".join(seen))


# --- 5. disk space ---------------------------------------------------------------------------

def check_disk_space(ctx):
    where, free = probes.free_space(ctx, paths.data_dir(ctx.environ))
    text = f"{free / (1 << 30):.1f} GB free at {where}"
    fix = "free space on that disk, or move RELAY_HOME to a disk with room"
    if free < FAIL_FREE_BYTES:
        return Check("disk_space", "fail", f"only {text}: relay can no longer record requests", fix)
    if free < WARN_FREE_BYTES:
        return Check("disk_space", "warn", f"only {text}", fix)
    return Check("disk_space", "pass", text)


# --- 6. stale pid and lock files -------------------------------------------------------------

def check_stale_pids(ctx):
    directory = paths.data_dir(ctx.environ)
    # the data dir's lock (paths.lock_path) stays on disk by design and holds no pid: never stale
    lock = paths.lock_path(ctx.environ)
    files = sorted(p for pattern in ("*.pid", "*.lock") for p in directory.glob(pattern)
                   if p != lock) if directory.is_dir() else []
    stale, live = [], []
    for f in files:
        pid, port = probes.pid_file(f)
        state = probes.pid_state(pid)
        if state == "dead" or (state == "other" and f == paths.pid_path(ctx.environ)):
            stale.append((f, pid))
        else:
            live.append(f"{f.name} (pid {pid}" + (f", port {port})" if port else ")"))
    if stale:
        names = ", ".join(f"{f.name} (pid {pid or '?'} is gone)" for f, pid in stale)
        return Check("stale_pids", "warn", f"stale: {names}", "remove them; `relay doctor --fix` does, after a backup",
                     functools.partial(_remove, [f for f, _ in stale]))
    if live:
        return Check("stale_pids", "pass", "running: " + ", ".join(live))
    return Check("stale_pids", "pass", f"no pid or lock files in {directory}")


def _remove(files):
    actions = []
    for f in files:
        saved = userfiles.backup(f)
        f.unlink()
        actions.append({"did": f"removed stale {f}", "backup": str(saved)})
    return actions


# --- 7. conflicting environment --------------------------------------------------------------

BASE_URL_VARS = ("ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "GOOGLE_GEMINI_BASE_URL")


def check_env_conflicts(ctx):
    fails, warns = [], []
    values = [(name, ctx.environ.get(name), "environment") for name in BASE_URL_VARS]
    from_file = claude.settings_base_url(ctx.environ)
    values.append(("ANTHROPIC_BASE_URL", from_file, "settings.json"))
    relay = endpoint(ctx.relay_url)
    for name, value, source in values:
        if not value or endpoint(value) == relay:
            continue        # unset, or relay's own address: check 1 covers it
        if listening(value, ctx.timeout) is False:
            fails.append(f"{name}={value} ({source}) but nothing listens there")
    from_env = ctx.environ.get("ANTHROPIC_BASE_URL")
    if from_env and from_file and endpoint(from_env) != endpoint(from_file):
        warns.append(f"ANTHROPIC_BASE_URL is {from_env} in the environment but {from_file} in settings.json")
    if ctx.environ.get("ANTHROPIC_API_KEY") and ctx.environ.get("ANTHROPIC_AUTH_TOKEN"):
        warns.append("both ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN are set: Claude Code reports an auth "
                     "conflict and may not use the one you expect")
    if fails:
        return Check("env_conflicts", "fail", "; ".join(fails + warns),
                     "unset the variable (or fix it in settings.json), or start the proxy it names")
    if warns:
        return Check("env_conflicts", "warn", "; ".join(warns), "keep one value: unset the other")
    return Check("env_conflicts", "pass", "no conflicting base-URL or credential variables")


# --- 8. what this relay runs on --------------------------------------------------------------

def check_runtime(ctx):
    r = runtime.describe()
    text = (f"{r['layout']} {r['version']} (commit {r['commit']}, Python {r['python']}); server: {r['server_note']}; "
            f"liveness: {r['liveness_note']}; mcp: {r['mcp_note']}")
    if r["server"] != "gevent" or r["liveness"] != "psutil":
        return Check("runtime", "warn", text, "for the full mode run the binary (dist/relay) or pip install relay; "
                     "the degraded mode serves correctly, with fewer concurrent streams")
    return Check("runtime", "pass", text)


# --- 9. a team relay and OpenTelemetry export ------------------------------------------------

_MOUNT_SUFFIX = re.compile(r"/(openai/v1|backend-api/codex|gemini)/?$")


def _relay_headers(ctx):
    """CLI name -> the custom headers relay init --remote writes for it ("Name: value" strings)."""
    codex_text = userfiles.read_text(codex.config_path(ctx.environ)) or ""
    return {"Claude Code": (claude.settings_env(ctx.environ, claude.HEADERS_VAR) or "").splitlines(),
            "Codex": [f"{remote.HEADER}:"] if remote.HEADER in codex_text else [],   # names a variable only
            "Gemini CLI": gemini.read_env(gemini.env_path(ctx.environ)).get(gemini.HEADERS_VAR, "").split(",")}


def _token_in(headers):
    for header in headers:
        name, _, value = header.partition(":")
        if name.strip().lower() == remote.HEADER.lower():
            return value.strip()
    return None


def _team_token(ctx):
    """The access token this machine sends: RELAY_TOKEN, else the one relay init --remote wrote into
    Claude Code's or Gemini CLI's headers. Only ever sent to the team relay, never shown."""
    return remote.token(ctx.environ) or next(
        (t for headers in _relay_headers(ctx).values() if (t := _token_in(headers))), None)


def _team_relay(ctx):
    """(base URL, which CLIs) of the relay the CLIs are pointed at with relay's
    token header, or None. A CLI sent elsewhere without the header (a vendor's API, another
    proxy) is not a team relay."""
    headers = _relay_headers(ctx)
    found: dict = {}
    for name, module in (("Claude Code", claude), ("Codex", codex), ("Gemini CLI", gemini)):
        url = module.base_url(ctx.environ)
        ep = endpoint(url) if url else None
        if ep is None or _token_in(headers[name]) is None:
            continue
        found.setdefault(_MOUNT_SUFFIX.sub("", url.rstrip("/")), []).append(name)
    return next(iter(found.items()), None)


def check_team_relay(ctx):
    team = _team_relay(ctx)
    if team is None:
        return Check("team_relay", "pass", "no team relay configured (the CLIs use this machine's relay, if any)")
    base, names = team
    token = _team_token(ctx)
    answer = health_at(base, max(ctx.timeout, 3.0), token)
    who = ", ".join(names)
    if answer is None:
        return Check("team_relay", "fail", f"{who} go to the team relay at {base}, but nothing answers there: "
                     "every request of those CLIs fails", "check the URL and the network, or ask who runs the relay; "
                     "`relay init --undo` puts the CLIs back")
    if remote.needs_token(answer):
        why = "refuses this machine's token (revoked or mistyped)" if token else "needs a token and none is set"
        return Check("team_relay", "fail", f"the team relay at {base} {why}: requests of {who} are refused",
                     f"export {remote.TOKEN_ENV}=<your token> and run `relay init --remote {base}` again")
    return Check("team_relay", "pass", f"{who} go to the team relay at {base}: relay {answer.get('version', '?')} "
                 "answers and accepts this machine's token")


def _sdk_missing():
    for module in ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http"):
        try:
            if importlib.util.find_spec(module) is None:
                return module
        except (ImportError, ValueError):
            return module
    return None


def check_otlp(ctx):
    try:
        configured = ctx.settings["otlp_endpoint"]
    except KeyError:
        configured = ""
    if not configured:
        return Check("otlp", "pass", "OpenTelemetry export is off (otlp_endpoint not set)")
    missing = _sdk_missing()
    if missing:
        return Check("otlp", "fail", f"otlp_endpoint is {configured} but the OpenTelemetry SDK is not installed "
                     f"({missing} missing): relay exports nothing", "pip install 'relay[otel]', then restart relay")
    answer = health(ctx)
    if answer is None or remote.needs_token(answer):
        why = "relay is not running" if answer is None else "relay needs a token to show it (set RELAY_TOKEN)"
        return Check("otlp", "warn", f"otlp_endpoint is {configured}, SDK installed; {why}, so whether exports "
                     "succeed is unknown", None if answer else "start relay with `relay serve`")
    stats = answer.get("otlp")
    if not stats:
        return Check("otlp", "warn", f"otlp_endpoint is {configured} but the running relay does not export "
                     "(started before the setting)", "restart relay")
    counts = (f"{stats.get('spans_exported', 0)} spans sent, {stats.get('spans_dropped', 0)} dropped, "
              f"{stats.get('metric_exports_failed', 0)} metric exports failed")
    if stats.get("error"):
        return Check("otlp", "fail", f"OTLP export is off: {stats['error']}", "fix it, then restart relay")
    if stats.get("last_span_export_ok") is False or stats.get("last_metric_export_ok") is False:
        return Check("otlp", "fail", f"the collector at {stats.get('endpoint') or configured} refused or did not "
                     f"answer the last export ({counts})", "start the collector or fix otlp_endpoint; relay keeps "
                     "running and counts what it drops")
    return Check("otlp", "pass", f"exporting to {stats.get('endpoint') or configured}: {counts}")


CHECKS = [check_claude_settings, check_clis_via_relay, check_mcp, check_client_configs, check_database,
          check_session_dirs, check_disk_space, check_stale_pids, check_env_conflicts, check_runtime,
          check_team_relay, check_otlp]
