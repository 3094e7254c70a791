"""SIGTERM always stops relay within its drain limit: with its stdout and stderr pipes closed by
whoever started it, and while a request is stuck on something else (a FIFO named like a
session file)."""
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import requests

from tests.proxy.conftest import messages_body
from tests.relay_process import ROOT
from tests.session_homes import DATA, populate

STOP_LIMIT = 20   # the drain limit (5 s) plus the store's flush, with room for a loaded machine


def _start(upstream_url, env=None):
    proc = subprocess.Popen([sys.executable, str(ROOT / "relay.py"), "serve", "--port", "0",
                             "--upstream-anthropic", upstream_url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env or dict(os.environ))
    line = b""
    while not line.startswith(b"listening "):
        line = proc.stdout.readline()
        assert line or proc.poll() is None, proc.stderr.read().decode()
    return proc, line.split()[1].decode()


def test_sigterm_stops_relay_whose_pipes_are_closed(upstream):
    proc, _url = _start(upstream.url)
    try:
        proc.stdout.close()
        proc.stderr.close()   # relay's next write to stderr (the "stopping" line) gets EPIPE
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(STOP_LIMIT) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _fifos():
    """A FIFO named like a Codex rollout and one like a Claude subagent file: open() on either
    blocks until a writer comes, which never does."""
    codex = Path(os.environ["RELAY_CODEX_HOME"]) / "sessions" / "2026" / "01" / "02"
    claude = Path(os.environ["RELAY_CLAUDE_HOME"]) / "projects" / "-work" / "0f0f0f0f-sess" / "subagents"
    made = [codex / "rollout-2026-01-02T00-00-00-0f0f0f0f.jsonl", claude / "agent-0f0f.jsonl"]
    for path in made:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
    return made


def test_a_fifo_named_like_a_session_file_costs_a_message_not_the_server(upstream):
    populate()
    fifos = _fifos()
    proc, url = _start(upstream.url)
    try:
        resp = requests.get(url + "/api/v1/cost", timeout=30)
        assert resp.status_code == 200 and resp.json()["ok"] is True
        assert resp.json()["cost"]["sources"]["file"] > 0   # the real session files were read
        assert requests.post(url + "/v1/messages", data=messages_body(stream=False), timeout=10,
                             headers={"content-type": "application/json"}).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(STOP_LIMIT) is not None
        stderr = proc.stderr.read().decode()
        assert all(f"skipped {path}: not a regular file" in stderr for path in fifos), stderr[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    scan = subprocess.run([sys.executable, str(ROOT / "relay.py"), "scan"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert scan.returncode == 0, scan.stderr


def _big_claude_session(megabytes):
    """One Claude session of about `megabytes` MB (a recorded one, its turns repeated)."""
    src = DATA / "claude" / "session-tool-bash.jsonl"
    lines = src.read_bytes().splitlines(keepends=True)
    dst = Path(os.environ["RELAY_CLAUDE_HOME"]) / "projects" / "-big" / "0b0b0b0b-big.jsonl"
    dst.parent.mkdir(parents=True)
    with open(dst, "wb") as out:
        size = 0
        while size < megabytes << 20:
            for line in lines:
                out.write(line)
                size += len(line)
    return dst


OFF_LOOP = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import sys, threading
    import gevent
    from relay import config
    from relay.bus import Bus
    from relay.costs import cost as costs
    from relay.store import Store
    from relay.web.app import create_app
    original = monkey.get_original("threading", "get_ident")
    release = monkey.get_original("threading", "Event")()
    entered, seen = monkey.get_original("threading", "Event")(), {}
    loop = original()

    def held_query(store, **kwargs):   # the index update, held until the loop proved it serves
        seen["thread"] = original()
        entered.set()
        release.wait(30)
        return real_query(store, **kwargs)

    real_query, costs.query = costs.query, held_query
    app = create_app(config.load({}), Store(sys.argv[1]), Bus(), upstream=None)
    client = app.test_client()
    cost = gevent.spawn(client.get, "/api/v1/cost")
    while not entered.is_set():
        gevent.sleep(0.01)
    health = client.get("/api/v1/health")          # answered while the cost request is held
    release.set()
    answer = cost.get(timeout=60)
    ok = health.status_code == 200 and answer.status_code == 200 and seen["thread"] != loop
    print("off-loop" if ok else f"{health.status_code} {answer.status_code} {seen} {loop}")
    sys.exit(0 if ok else 1)
""")


def test_the_index_refresh_runs_off_the_serving_loop(tmp_path):
    """In a gevent-served relay, /api/v1/cost updates the session index on a pool thread: while that
    update is held, the serving loop still answers (it used to run on the loop and stall everything)."""
    done = subprocess.run([sys.executable, "-c", OFF_LOOP, str(tmp_path / "relay.db")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "off-loop", done.stdout + done.stderr
