"""Records what the real Claude Code, Codex CLI and Gemini CLI (pinned in tests/real_clients.py)
send over a multi-turn session, through relay with history capture against the fake upstream, into
tests/data/cache_sequences/<cli>/ for tests/proxy/stages/capture/test_cache_forensics_recorded.py
(Claude Code) and test_cache_forensics_recorded_cli.py (Codex, Gemini).

Running the real CLIs takes seconds per turn and needs them installed (npm), so the tests read the
saved bodies and this script regenerates them:
    python3 -m tests.regen_cache_sequences [claude-code] [codex] [gemini]      (default: all three)

The MCP server is relay's own `relay mcp` over stdio, named `relay`, added to the CLI's own
config in the throwaway HOME for the run that names it. The sessions, one CLI run per step
(runs.json lists each run's requests):

claude-code (`claude -p`)
  hi         "say hi" (the fake answers with a Bash call: two requests)
  resumed    --resume, nothing changed
  mcp        --resume with the MCP server added; Claude Code 2.1.330 announces its tools in a
             system message appended at the end (tool search), so the cached prefix is kept
  mcp-tools  --resume, the same server with ENABLE_TOOL_SEARCH=false: its tools (and the built-in
             ones tool search deferred) join `tools`, which breaks the cache
codex (`codex exec`)
  hi         "run echo hello-from-tool" (an exec_command round trip: two requests)
  resumed    `exec resume --last`, nothing changed
  mcp        `exec resume --last` with [mcp_servers.relay] in ~/.codex/config.toml, `required = true`:
             `codex exec` does not wait for a server to start otherwise, and `relay mcp` takes
             seconds, so the one request of the run would go without its tools
gemini (`gemini -p`, --approval-mode yolo)
  hi         "run echo hello-from-tool" (a run_shell_command round trip: two requests)
  resumed    --resume latest, nothing changed
  mcp        --resume latest with mcpServers.relay in ~/.gemini/settings.json

Each body is taken from relay's history (the exact bytes sent upstream) and scrubbed: the scratch
dir becomes /scratch, every UUID (session, thread, turn, installation ids) a fixed one in order of
first appearance, Claude Code's device id zeros. Keys never reach a body (they travel in headers).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import real_clients as clients
from tests.fake_upstream import FakeUpstream
from tests.relay_process import ROOT, RelayProcess

DATA = ROOT / "tests" / "data" / "cache_sequences"
SESSION = "00000000-0000-4000-8000-00000000c0de"     # the CLI's session (thread) id
DEVICE = "0" * 64
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMEOUT = 180
CLAUDE_RUNS = (("hi", "say hi", (), {}),
               ("resumed", "second turn", (), {}),
               ("mcp", "third turn", ("--mcp-config", "MCP_CONFIG"), {}),
               ("mcp-tools", "fourth turn", ("--mcp-config", "MCP_CONFIG"), {"ENABLE_TOOL_SEARCH": "false"}))
# (run, prompt, resume, with the MCP server)
CLI_RUNS = (("hi", "run echo hello-from-tool", False, False),
            ("resumed", "second turn", True, False),
            ("mcp", "third turn", True, True))
# Codex's own OpenTelemetry off as well: nothing but the conversation reaches relay.
CODEX_CONFIG = clients.CODEX_CONFIG + """
[otel]
exporter = "none"
"""
GEMINI_SETTINGS = clients.GEMINI_SETTINGS


def _mcp_server():
    return {"command": sys.executable, "args": [str(ROOT / "relay.py"), "mcp"]}


def _run(binary, scratch, args, extra_env):
    env = {**extra_env, "PATH": os.pathsep.join([str(Path(binary).parent), clients.BASE_PATH]),
           "HOME": str(scratch / "home"), "TMPDIR": str(scratch / "tmp"), "LANG": "C.UTF-8",
           "RELAY_HOME": str(scratch / "mcp-home")}      # the MCP server's own home, never the user's
    done = subprocess.run([str(binary), *args], env=env, cwd=str(scratch / "project"), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)
    if done.returncode != 0:
        sys.exit(f"{Path(binary).name} {args} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip().startswith("{")]


def _claude(binary, scratch, relay):
    mcp = scratch / "mcp.json"
    mcp.write_text(json.dumps({"mcpServers": {"relay": {"type": "stdio", **_mcp_server()}}}))
    base = {"ANTHROPIC_BASE_URL": relay.url, "ANTHROPIC_API_KEY": "sk-ant-test",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1"}
    session_id = None
    for label, prompt, args, extra in CLAUDE_RUNS:
        resume = ("--resume", session_id) if session_id else ()
        args = [a.replace("MCP_CONFIG", str(mcp)) for a in args]
        lines = _run(binary, scratch, ["-p", *resume, prompt, *args, "--output-format", "stream-json", "--verbose"],
                     {**base, **extra})
        session_id = next(line["session_id"] for line in lines if line.get("type") == "system")
        yield label, session_id


def _codex(binary, scratch, relay):
    config = scratch / "home" / ".codex" / "config.toml"
    config.parent.mkdir(parents=True)
    plain = CODEX_CONFIG.format(base_url=relay.url + "/openai/v1")
    server = _mcp_server()
    with_mcp = plain + f"\n[mcp_servers.relay]\ncommand = {json.dumps(server['command'])}\n" \
                       f"args = {json.dumps(server['args'])}\n" \
                       "required = true\n" \
                       f"env = {{ RELAY_HOME = {json.dumps(str(scratch / 'mcp-home'))} }}\n"
    for label, prompt, resume, mcp in CLI_RUNS:
        config.write_text(with_mcp if mcp else plain)
        args = ["exec", "--json", "--skip-git-repo-check", *(["resume", "--last"] if resume else []), prompt]
        events = _run(binary, scratch, args, {"RELAY_TEST_OPENAI_KEY": "sk-regen-test"})
        yield label, next(e["thread_id"] for e in events if e.get("type") == "thread.started")


def _gemini(binary, scratch, relay):
    settings = scratch / "home" / ".gemini" / "settings.json"
    settings.parent.mkdir(parents=True)
    env = {"GEMINI_API_KEY": "regen-gemini-key", "GOOGLE_GEMINI_BASE_URL": relay.url + "/gemini",
           "GEMINI_CLI_TRUST_WORKSPACE": "true"}
    for label, prompt, resume, mcp in CLI_RUNS:
        server = dict(_mcp_server(), env={"RELAY_HOME": str(scratch / "mcp-home")})
        settings.write_text(json.dumps(dict(GEMINI_SETTINGS, mcpServers={"relay": server}) if mcp else GEMINI_SETTINGS))
        args = ["-m", "gemini-2.5-pro", "--approval-mode", "yolo", "--output-format", "stream-json",
                *(["--resume", "latest"] if resume else []), "-p", prompt]
        lines = _run(binary, scratch, args, env)
        yield label, next(line["session_id"] for line in lines if line.get("type") == "init")


CLIS = {"claude-code": (clients.claude_code, clients.CLAUDE_CODE_VERSION, _claude),
        "codex": (clients.codex, clients.CODEX_VERSION, _codex),
        "gemini": (clients.gemini, clients.GEMINI_VERSION, _gemini)}


def _scrub(text, scratch, ids):
    for old, new in ((str(scratch), "/scratch"), (str(scratch).replace("/", "-"), "-scratch")):
        text = text.replace(old, new)
    text = re.sub(r'\\"device_id\\":\\"[0-9a-f]{64}\\"', f'\\\\"device_id\\\\":\\\\"{DEVICE}\\\\"', text)

    def fixed(match):
        return ids.setdefault(match.group(0), f"00000000-0000-4000-8000-{len(ids) + 1:012x}")
    return UUID.sub(fixed, text)


def _bodies(scratch):
    """Every captured request body of the one session relay recorded, in order."""
    os.environ["RELAY_HOME"] = str(scratch / "relay-home")
    from relay import paths
    from relay.store import Store, history_queries
    store = Store(paths.db_path())
    try:
        sessions = store.read(history_queries.list_history_sessions)
        if len(sessions) != 1:
            sys.exit(f"expected one captured session, got {[(s['session_id'], s['turns']) for s in sessions]}")
        sid = sessions[0]["session_id"]
        count = store.read(lambda c: len(history_queries.list_turns(c, sid)))
        return [store.read(lambda c, t=t: history_queries.request_body(c, sid, t)).decode("utf-8")
                for t in range(count)]
    finally:
        store.close()


def record(name):
    find, version, drive = CLIS[name]
    binary = find()
    scratch = Path(tempfile.mkdtemp(prefix="relay-regen-"))
    for sub in ("home", "tmp", "project", "relay-home", "mcp-home"):
        (scratch / sub).mkdir()
    upstream = FakeUpstream().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELAY_", "ANTHROPIC_", "OPENAI_", "GEMINI_"))}
    env.update(HOME=str(scratch / "home"), RELAY_HOME=str(scratch / "relay-home"))
    relay = RelayProcess(upstream.url, "--history", env=env).start()
    try:
        runs, ids = [], {}
        for label, session_id in drive(binary, scratch, relay):
            ids.setdefault(session_id, SESSION)
            runs.append({"run": label, "requests": len(upstream.requests) - sum(r["requests"] for r in runs)})
        relay.stop()
        bodies = _bodies(scratch)
        out = DATA / name
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for turn, body in enumerate(bodies):
            (out / f"turn-{turn:02d}.json").write_text(_scrub(body, scratch, ids))
        (out / "runs.json").write_text(json.dumps({"client": f"{name} {version}", "runs": runs}, indent=1) + "\n")
        print(f"{name}: {len(bodies)} requests -> {out}")
    finally:
        relay.stop()
        upstream.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv):
    for name in argv or list(CLIS):
        record(name)


if __name__ == "__main__":
    main(sys.argv[1:])
