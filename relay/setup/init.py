"""The steps of `relay init`, in order; each returns {"step", "status", "detail", "path"} where
status is changed | unchanged | skipped | planned | failed. A dry run computes every edit and
writes nothing. Running it twice changes nothing the second time.

Each CLI is set up for the way it is logged in, never against it: Claude Code (API key or OAuth)
gets its base URL either way; Codex with an API key gets a provider on /openai that reads
OPENAI_API_KEY, with a ChatGPT login one on /backend-api that uses the login
(requires_openai_auth); Gemini CLI with an API key gets GOOGLE_GEMINI_BASE_URL, with a Google
login CODE_ASSIST_ENDPOINT, its auth type untouched. The detail says which login was found.

With `remote` (a team relay at another address, `relay init --remote URL`), the CLIs go there with
the person's access token in X-Relay-Token, and nothing local is set up (no database, MCP server or
relay serve). Codex reads the token from the variable `token_env` at each run (env_http_headers);
Claude Code's settings.json and Gemini CLI's .env read no variables, so the token itself goes in
them and the file is made 0600 (the step says so)."""
import os

from relay import paths, remote, userfiles
from relay.clients import claude, codex, gemini
from relay.diagnostics.doctor.probes import health_at
from relay.errors import RelayError
from relay.orch import discover
from relay.setup import server
from relay.store import Store


def _step(step, status, detail, path=None):
    return {"step": step, "status": status, "detail": detail, "path": str(path) if path else None}


TOKEN_IN_FILE = "; the token itself is in this file (the CLI reads no variable there), so it is made 0600"


class Init:
    def __init__(self, port, environ=None, dry_run=False, remote_url=None, token_env=remote.TOKEN_ENV):
        self.port = port
        self.env = dict(os.environ if environ is None else environ)
        self.dry_run = dry_run
        self.manifest = userfiles.Manifest(self.env)
        self.remote = remote_url.rstrip("/") if remote_url else None
        self.token_env = token_env
        self.token = None
        if self.remote:
            self.token = remote.token(self.env, token_env)
            if self.token is None:
                raise RelayError(f"relay init --remote needs your access token in {token_env}",
                                 hint=f"export {token_env}=<the token `relay tokens add` printed for you>, "
                                      "then run it again")

    def base(self):
        """Where the CLIs go: the team relay, or this machine's relay on loopback."""
        return self.remote or server.url(self.port)

    # --- one edit, shared by every file step --------------------------------------------------
    def _edit(self, step, path, new_text, undo, detail, planned=None, private=False):
        """`detail` says what is set ("X = y"); `planned`, what a dry run would do, when
        "would set <detail>" does not read as English. `private`: the text holds a token, so the
        file is made 0600 (undo restores its mode with its bytes)."""
        current = userfiles.read_text(path)
        if new_text == current:
            return _step(step, "unchanged", f"already set: {detail}", path)
        if self.dry_run:
            return _step(step, "planned", f"{planned or 'would set ' + detail} (backup first)", path)
        userfiles.apply(self.manifest, path, new_text, undo)
        if private:
            os.chmod(path, 0o600)
        return _step(step, "changed", detail, path)

    def _json(self, step, path, assignments, detail, planned=None, private=False):
        plan = userfiles.plan_json(path, assignments)
        if plan is None:
            return _step(step, "unchanged", f"already set: {detail}", path)
        return self._edit(step, path, *plan, detail, planned, private)

    # --- the steps ----------------------------------------------------------------------------
    def detect(self):
        found = discover.discover(self.env)
        self.installed = {c["name"] for c in found if c["installed"]}
        text = ", ".join(f"{c['name']} {c['version'] or '?'}" for c in found if c["installed"]) or "none"
        return _step("detect", "unchanged", f"installed CLIs: {text}"), found

    def database(self):
        path = paths.db_path(self.env)
        if self.remote:
            return _step("database", "skipped", f"the team relay at {self.remote} keeps the data", path)
        if self.dry_run:
            return _step("database", "unchanged" if path.exists() else "planned",
                         "exists" if path.exists() else "would create it", path)
        existed = path.exists()
        Store(path).close()  # creates and migrates
        return _step("database", "unchanged" if existed else "changed",
                     "schema up to date" if existed else "created", path)

    def claude_settings(self):
        base = self.base()
        login = {"api-key": "API-key login", "oauth": "subscription (OAuth) login, its token passed on untouched",
                 None: "no login found yet"}[claude.login_mode(self.env)]
        detail = f"route Claude Code ({login}) through relay: env.{claude.BASE_URL_VAR} = {base}"
        assignments = claude.base_url_setting(base)
        if self.remote:
            current = claude.settings_env(self.env, claude.HEADERS_VAR)
            assignments += claude.headers_setting(current, remote.HEADER, self.token)
            detail += f", env.{claude.HEADERS_VAR} += {remote.HEADER} (the value of {self.token_env})" + TOKEN_IN_FILE
        return self._json("claude_settings", claude.settings_path(self.env), assignments, detail,
                          f"would {detail}", private=bool(self.remote))

    def claude_statusline(self, force=False):
        """Claude Code's statusLine set to `relay statusline`; a user's own status line is kept
        unless `force`."""
        path = claude.settings_path(self.env)
        current = userfiles.json_get(userfiles.load_json(userfiles.read_text(path), path), claude.STATUSLINE_KEYS)
        if current is not None and not claude.is_relay_statusline(current) and not force:
            shown = current.get("command") if isinstance(current, dict) else current
            return _step("claude_statusline", "skipped",
                         f"kept your status line {shown!r} (--force to replace it with relay's)", path)
        return self._json("claude_statusline", path, [(claude.STATUSLINE_KEYS, claude.statusline_spec(self.env))],
                          "statusLine = relay statusline (quota, cost, cache and guard under the prompt)")

    def claude_mcp(self):
        if self.remote:
            return _step("claude_mcp", "skipped", "`relay mcp` reads this machine's database; the team relay's "
                         "data is on its own pages", claude.user_config_path(self.env))
        return self._json("claude_mcp", claude.user_config_path(self.env), claude.mcp_setting(self.env),
                          f"MCP server {claude.MCP_NAME!r} registered for Claude Code (user scope)",
                          f"would register MCP server {claude.MCP_NAME!r} for Claude Code (user scope)")

    def codex(self, wanted):
        path = codex.config_path(self.env)
        if not self._wanted("codex", wanted):
            return _step("codex", "skipped", "Codex is not installed (use --codex to configure it anyway)", path)
        mode = codex.login_mode(self.env)
        header = (remote.HEADER, self.token_env) if self.remote else None
        sends = f", sending {self.token_env} as {remote.HEADER} (env_http_headers; the token stays out of the file)" \
            if self.remote else ""
        if mode == codex.CHATGPT:
            backend = self.base() + "/backend-api/"
            base = backend + "codex"
            # Codex's other ChatGPT calls (chatgpt_base_url) do not carry the provider's headers, so a
            # team relay would refuse them: they go straight to ChatGPT instead.
            chatgpt = None if self.remote else backend
            text = codex.point_at(userfiles.read_text(path), base, path, mode, chatgpt_base_url=chatgpt,
                                  header_env=header)
            detail = (f'route Codex (ChatGPT login) through relay: model_provider "{codex.PROVIDER}" at {base} '
                      f"signed in with the ChatGPT login (requires_openai_auth, no API key needed)"
                      + (f", chatgpt_base_url = {backend}" if chatgpt else "") + sends)
        else:
            base = self.base() + "/openai/v1"
            text = codex.point_at(userfiles.read_text(path), base, path, header_env=header)
            found = "API-key login" if mode else "no login found: set up for an API key"
            detail = f'route Codex ({found}) through relay: model_provider "{codex.PROVIDER}" at {base} ' \
                     f"(reads OPENAI_API_KEY){sends}"
        return self._edit("codex", path, text, {"blocks": list(codex.BLOCKS)}, detail, f"would {detail}")

    def gemini(self, wanted):
        env_path = gemini.env_path(self.env)
        if not self._wanted("gemini", wanted):
            return [_step("gemini", "skipped", "Gemini CLI is not installed (use --gemini to configure it anyway)",
                          env_path)]
        mode = gemini.login_mode(self.env)
        settings = gemini.settings_path(self.env)
        if mode == gemini.GOOGLE:
            base = self.base()
            detail = f"route Gemini CLI (Google login, Code Assist) through relay: {gemini.CODE_ASSIST_VAR}={base}"
            return [self._gemini_env(env_path, gemini.point_at(userfiles.read_text(env_path), base, mode), detail),
                    _step("gemini_auth", "unchanged",
                          f"Google login kept: auth type {gemini.auth_type(self.env) or 'cached login'} left as it is",
                          settings)]
        if mode not in (None, gemini.API_KEY):
            return [_step("gemini", "skipped", f"auth type {mode} is not one relay can route; Gemini CLI left as it is",
                          env_path)]
        base = self.base() + "/gemini"
        found = "API-key login" if mode else "no login found: set up for an API key"
        detail = f"route Gemini CLI ({found}) through relay: {gemini.BASE_URL_VAR}={base}"
        steps = [self._gemini_env(env_path, gemini.point_at(userfiles.read_text(env_path), base), detail)]
        # A base URL alone switches Gemini to "gateway" auth and headless runs exit 41; an API-key
        # auth type is set only when the user has chosen none.
        keys = gemini.AUTH_TYPE_KEYS
        chosen = userfiles.json_get(userfiles.load_json(userfiles.read_text(settings), settings), keys)
        if chosen:
            steps.append(_step("gemini_auth", "unchanged", f"auth type already chosen: {chosen}", settings))
        else:
            steps.append(self._json("gemini_auth", settings, [(keys, gemini.API_KEY_AUTH)],
                                    f"{'.'.join(keys)} = {gemini.API_KEY_AUTH} (needs GEMINI_API_KEY)"))
        return steps

    def _gemini_env(self, path, text, detail):
        blocks = [gemini.TAG]
        if self.remote:
            text = gemini.set_header(text, remote.HEADER, self.token)
            blocks.append(gemini.HEADERS_TAG)
            detail += f", {gemini.HEADERS_VAR} += {remote.HEADER} (the value of {self.token_env})" + TOKEN_IN_FILE
        return self._edit("gemini", path, text, {"blocks": blocks}, detail, f"would {detail}",
                          private=bool(self.remote))

    def _wanted(self, name, wanted):
        return wanted if wanted is not None else name in self.installed

    def start_server(self, skip):
        if self.remote:
            return _step("server", "skipped", f"the CLIs use the team relay at {self.remote}")
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
        if self.remote:
            return self.remote_health()
        answer = server.health(self.port)
        if answer:
            version = answer.get("version", "?")
            return _step("health", "unchanged", f"relay {version} answers at {server.url(self.port)}")
        return _step("health", "skipped" if self.dry_run else "failed", f"nothing answers at {server.url(self.port)}")


    def remote_health(self):
        answer = health_at(self.remote, 5.0, self.token)
        if answer is None:
            return _step("health", "failed", f"nothing answers at {self.remote} (is the team relay up, and the URL "
                                             "the one your CLIs can reach?)")
        if remote.needs_token(answer):
            return _step("health", "failed", f"the relay at {self.remote} refused the token in {self.token_env} "
                                             "(revoked or mistyped): every request of the CLIs would be refused")
        return _step("health", "unchanged", f"relay {answer.get('version', '?')} answers at {self.remote} and "
                                            f"accepts the token in {self.token_env}")


def run(port, environ=None, dry_run=False, skip_server=False, codex=None, gemini=None, statusline=False,
        force=False, remote_url=None, token_env=remote.TOKEN_ENV):
    init = Init(port, environ, dry_run, remote_url, token_env)
    first, clis = init.detect()
    steps = [first, init.database(), init.claude_settings(), init.claude_mcp(), init.codex(codex),
             *init.gemini(gemini), init.start_server(skip_server), init.health()]
    if statusline:
        steps.insert(3, init.claude_statusline(force))
    if skip_server and not remote_url and steps[-1]["status"] == "failed":
        steps[-1]["status"] = "skipped"
    return {"dry_run": dry_run, "port": port, "dashboard": init.base() + "/", "clis": clis, "steps": steps,
            "backups": str(init.manifest.dir)}


def undo(environ=None):
    """Restore every file relay init changed and stop the server it started."""
    manifest = userfiles.Manifest(environ)
    done = []
    for path, entry in reversed(list(manifest.files.items())):
        done.append(userfiles.undo_file(path, entry))
    started = manifest.data.get("server")
    if started and server.stop(started["pid"]):
        done.append(f"stopped relay serve (pid {started['pid']})")
    if manifest.path.exists():
        manifest.path.unlink()
    return {"undone": done or ["nothing to undo: relay init has not changed anything"]}
