"""The steps of `relay init`, in order; each returns {"step", "status", "detail", "path"} where
status is changed | unchanged | skipped | planned | failed. A dry run computes every edit and
writes nothing. Running it twice changes nothing the second time."""
import os
from pathlib import Path

from relay import paths
from relay.setup import codex_config, env_file, files, server

CLAUDE_KEY = "ANTHROPIC_BASE_URL"
MCP_NAME = "relay"


def _step(step, status, detail, path=None):
    return {"step": step, "status": status, "detail": detail, "path": str(path) if path else None}


def mcp_spec(environ):
    """The user-scope mcpServers entry: this relay's own command, and RELAY_HOME when it is set
    so the MCP server reads the same database as the proxy."""
    command = paths.self_command()
    spec = {"type": "stdio", "command": command[0], "args": [*command[1:], "mcp"], "env": {}}
    if environ.get("RELAY_HOME"):
        spec["env"]["RELAY_HOME"] = str(paths.data_dir(environ))
    return spec


class Init:
    def __init__(self, port, environ=None, dry_run=False):
        self.port = port
        self.env = dict(os.environ if environ is None else environ)
        self.dry_run = dry_run
        self.manifest = files.Manifest(self.env)
        self.home = Path(self.env.get("HOME") or Path.home())

    # --- one edit, shared by every file step --------------------------------------------------
    def _edit(self, step, path, new_text, undo, detail):
        current = files.read_text(path)
        if new_text == current:
            return _step(step, "unchanged", f"already set: {detail}", path)
        if self.dry_run:
            return _step(step, "planned", f"would {detail} (backup first)", path)
        files.apply(self.manifest, path, new_text, undo)
        return _step(step, "changed", detail, path)

    def _json(self, step, path, assignments, detail):
        text = files.read_text(path)
        data = files.load_json(text, path)
        if all(_get(data, keys) == value for keys, value in assignments):
            return _step(step, "unchanged", f"already set: {detail}", path)  # no reformatting of a good file
        new_text, undo = files.json_set(text, assignments, path)
        return self._edit(step, path, new_text, {"keys": undo}, detail)

    # --- the steps ----------------------------------------------------------------------------
    def detect(self):
        from relay.orch import discover
        found = discover.discover(self.env)
        self.installed = {c["name"] for c in found if c["installed"]}
        text = ", ".join(f"{c['name']} {c['version'] or '?'}" for c in found if c["installed"]) or "none"
        return _step("detect", "unchanged", f"installed CLIs: {text}"), found

    def database(self):
        path = paths.db_path(self.env)
        if self.dry_run:
            return _step("database", "unchanged" if path.exists() else "planned",
                         "exists" if path.exists() else "would create it", path)
        existed = path.exists()
        from relay.store import Store
        Store(path).close()  # creates and migrates
        return _step("database", "unchanged" if existed else "changed",
                     "schema up to date" if existed else "created", path)

    def claude_settings(self):
        path = paths.claude_home(self.env) / "settings.json"
        base = server.url(self.port)
        return self._json("claude_settings", path, [(["env", CLAUDE_KEY], base)],
                          f"env.{CLAUDE_KEY} = {base} (Claude Code goes through relay)")

    def claude_mcp(self):
        path = self.home / ".claude.json"
        return self._json("claude_mcp", path, [(["mcpServers", MCP_NAME], mcp_spec(self.env))],
                          f"MCP server {MCP_NAME!r} registered for Claude Code (user scope)")

    def codex(self, wanted):
        path = paths.codex_home(self.env) / "config.toml"
        if not self._wanted("codex", wanted):
            return _step("codex", "skipped", "Codex is not installed (use --codex to configure it anyway)", path)
        base = server.url(self.port) + "/openai/v1"
        text = codex_config.point_at(files.read_text(path), base, path)
        return self._edit("codex", path, text, {"blocks": ["codex provider", "codex selection"]},
                          f'model_provider "relay" at {base} (needs OPENAI_API_KEY)')

    def gemini(self, wanted):
        env_path = paths.gemini_home(self.env) / ".env"
        if not self._wanted("gemini", wanted):
            return [_step("gemini", "skipped", "Gemini CLI is not installed (use --gemini to configure it anyway)",
                          env_path)]
        base = server.url(self.port) + "/gemini"
        steps = [self._edit("gemini", env_path, env_file.set_key(files.read_text(env_path), "GOOGLE_GEMINI_BASE_URL", base),
                            {"blocks": [env_file.TAG]}, f"GOOGLE_GEMINI_BASE_URL={base}")]
        # A base URL alone switches Gemini to "gateway" auth and headless runs exit 41; an API-key
        # auth type is set only when the user has chosen none.
        settings = paths.gemini_home(self.env) / "settings.json"
        chosen = _get(files.load_json(files.read_text(settings), settings), ["security", "auth", "selectedType"])
        if chosen:
            steps.append(_step("gemini_auth", "unchanged", f"auth type already chosen: {chosen}", settings))
        else:
            steps.append(self._json("gemini_auth", settings, [(["security", "auth", "selectedType"], "gemini-api-key")],
                                    "security.auth.selectedType = gemini-api-key (needs GEMINI_API_KEY)"))
        return steps

    def _wanted(self, name, wanted):
        return wanted if wanted is not None else name in self.installed

    def start_server(self, skip):
        if skip:
            return _step("server", "skipped", "--skip-server: start it with `relay serve`")
        if server.health(self.port):
            return _step("server", "unchanged", f"relay already answers at {server.url(self.port)}")
        if self.dry_run:
            return _step("server", "planned", f"would start relay serve --port {self.port} in the background "
                                              f"(log {server.log_path(self.env)})")
        pid = server.start(self.port, self.env)
        self.manifest.data["server"] = {"pid": pid, "port": self.port}
        self.manifest.save()
        return _step("server", "changed", f"started relay serve (pid {pid}, log {server.log_path(self.env)}, "
                                          f"pid file {paths.pid_path(self.env)})")

    def health(self):
        answer = server.health(self.port)
        if answer:
            return _step("health", "unchanged", f"relay {answer.get('version', '?')} answers at {server.url(self.port)}")
        return _step("health", "skipped" if self.dry_run else "failed", f"nothing answers at {server.url(self.port)}")


def _get(data, keys):
    for k in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(k)
    return data


def run(port, environ=None, dry_run=False, skip_server=False, codex=None, gemini=None):
    init = Init(port, environ, dry_run)
    first, clis = init.detect()
    steps = [first, init.database(), init.claude_settings(), init.claude_mcp(), init.codex(codex),
             *init.gemini(gemini), init.start_server(skip_server), init.health()]
    if skip_server and steps[-1]["status"] == "failed":
        steps[-1]["status"] = "skipped"
    return {"dry_run": dry_run, "port": port, "dashboard": server.url(port) + "/", "clis": clis, "steps": steps,
            "backups": str(init.manifest.dir)}


def undo(environ=None):
    """Restore every file relay init changed and stop the server it started."""
    manifest = files.Manifest(environ)
    done = []
    for path, entry in reversed(list(manifest.files.items())):
        done.append(files.undo_file(path, entry))
    started = manifest.data.get("server")
    if started and server.stop(started["pid"]):
        done.append(f"stopped relay serve (pid {started['pid']})")
    if manifest.path.exists():
        manifest.path.unlink()
    return {"undone": done or ["nothing to undo: relay init has not changed anything"]}
