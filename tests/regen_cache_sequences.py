"""Records what the real Claude Code (pinned in tests/real_clients.py) sends over a multi-turn
session, through relay with history capture against the fake upstream, into
tests/data/cache_sequences/claude-code/ for tests/proxy/stages/capture/test_cache_forensics_recorded.py.

Running the real CLI takes seconds per turn and needs it installed (npm), so the test reads the
saved bodies and this script regenerates them:  python3 -m tests.regen_cache_sequences

The session, one `claude -p` run per step (runs.json lists each run's requests):
  hi         "say hi" (the fake answers with a Bash call: two requests)
  resumed    --resume, nothing changed
  mcp        --resume with an MCP server added (relay's own `relay mcp` over stdio, named `relay`);
             Claude Code 2.1.330 announces its tools in a system message appended at the end
             (tool search), so the cached prefix is kept
  mcp-tools  --resume, the same server with ENABLE_TOOL_SEARCH=false: its tools (and the built-in
             ones tool search deferred) join `tools`, which breaks the cache
Each body is taken from relay's
history (the exact bytes sent upstream) and scrubbed: the scratch dir becomes /scratch, the
device id and session id fixed values; the API key never reaches a body (it travels in a header).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import real_clients as clients
from tests.fake_upstream import FakeUpstream
from tests.relay_process import ROOT, RelayProcess

OUT = ROOT / "tests" / "data" / "cache_sequences" / "claude-code"
SESSION = "00000000-0000-4000-8000-00000000c0de"
DEVICE = "0" * 64
RUNS = (("hi", "say hi", (), {}),
        ("resumed", "second turn", (), {}),
        ("mcp", "third turn", ("--mcp-config", "MCP_CONFIG"), {}),
        ("mcp-tools", "fourth turn", ("--mcp-config", "MCP_CONFIG"), {"ENABLE_TOOL_SEARCH": "false"}))


def _claude(binary, scratch, relay, *args, **extra_env):
    env = {**extra_env, "PATH": os.pathsep.join([str(Path(binary).parent), clients.BASE_PATH]),
           "HOME": str(scratch / "home"),
           "TMPDIR": str(scratch / "tmp"), "LANG": "C.UTF-8", "ANTHROPIC_BASE_URL": relay.url,
           "ANTHROPIC_API_KEY": "sk-ant-test", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
           "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1"}
    done = subprocess.run([str(binary), "-p", *args, "--output-format", "stream-json", "--verbose"], env=env,
                          cwd=str(scratch / "project"), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        sys.exit(f"claude exited {done.returncode}: {done.stderr[-2000:]}")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip().startswith("{")]
    return next(line["session_id"] for line in lines if line.get("type") == "system")


def _scrub(text, scratch, session_id, device_id):
    for old, new in ((str(scratch), "/scratch"), (str(scratch).replace("/", "-"), "-scratch"),
                     (session_id, SESSION), (device_id, DEVICE)):
        text = text.replace(old, new)
    return text


def main():
    binary = clients.claude_code()
    scratch = Path(tempfile.mkdtemp(prefix="relay-regen-"))
    for name in ("home", "tmp", "project", "relay-home"):
        (scratch / name).mkdir()
    upstream = FakeUpstream().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELAY_", "ANTHROPIC_"))}
    env.update(HOME=str(scratch / "home"), RELAY_HOME=str(scratch / "relay-home"))
    relay = RelayProcess(upstream.url, "--history", env=env).start()
    try:
        mcp = scratch / "mcp.json"
        mcp.write_text(json.dumps({"mcpServers": {"relay": {"type": "stdio", "command": sys.executable,
                                                            "args": [str(ROOT / "relay.py"), "mcp"]}}}))
        runs = []
        session_id = None
        for label, prompt, args, extra in RUNS:
            before = len(upstream.requests)
            resume = ("--resume", session_id) if session_id else ()
            args = [a.replace("MCP_CONFIG", str(mcp)) for a in args]
            session_id = _claude(binary, scratch, relay, *resume, prompt, *args, **extra)
            runs.append({"run": label, "requests": len(upstream.requests) - before})
        relay.stop()
        os.environ["RELAY_HOME"] = str(scratch / "relay-home")
        from relay import paths
        from relay.store import Store, history_queries
        store = Store(paths.db_path())
        try:
            count = store.read(lambda c: len(history_queries.list_turns(c, session_id)))
            bodies = [store.read(lambda c, t=t: history_queries.request_body(c, session_id, t)).decode("utf-8")
                      for t in range(count)]
        finally:
            store.close()
        device_id = json.loads(json.loads(bodies[0])["metadata"]["user_id"])["device_id"]
        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
        for turn, body in enumerate(bodies):
            (OUT / f"turn-{turn:02d}.json").write_text(_scrub(body, scratch, session_id, device_id))
        (OUT / "runs.json").write_text(json.dumps({"client": f"claude-code {clients.CLAUDE_CODE_VERSION}",
                                                   "runs": runs}, indent=1) + "\n")
        print(f"{count} requests of session {session_id} -> {OUT}")
    finally:
        relay.stop()
        upstream.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
