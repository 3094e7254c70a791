"""Screenshots of every page at 1400 and 800 px, from a real relay with generated data, for a
reviewer to look at.

    python bench/screenshots.py                      # into ./screenshots/
    python bench/screenshots.py --out /tmp/shots

Processes: tests/fake_upstream.py, a real `relay serve --history` on 127.0.0.1:0 with its own temp
RELAY_HOME (the chart data set of tests/chart_data.py planted first, then a captured conversation
with a compaction and a duplicate read sent through the proxy) and Debian's Chromium through
Playwright. Prints each file written and how long each page took to load.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import chart_data  # noqa: E402
from tests.relay_process import RelayProcess  # noqa: E402

WIDTHS = (1400, 800)
CHROMIUM = "/usr/bin/chromium"


def start_upstream(env):
    proc = subprocess.Popen([sys.executable, "-m", "tests.fake_upstream", "0"],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=str(ROOT))
    line = proc.stdout.readline()
    return proc, line.split()[-1].strip()


def send(url, session, messages):
    import requests
    body = {"model": "claude-opus-5-5", "max_tokens": 64, "stream": True, "system": "You are a careful engineer.",
            "tools": [{"name": "Read", "input_schema": {"type": "object"}}], "messages": messages}
    r = requests.post(url + "/v1/messages", data=json.dumps(body), timeout=10,
                      headers={"content-type": "application/json", "x-claude-code-session-id": session,
                               "x-fake-utilization": "5h=0.37,7d=0.12"})
    assert r.status_code == 200, r.text


def conversation(url):
    """A session of three turns: a question, a compaction, then the same file read twice."""
    read = {"file_path": "/work/project/src/app.py"}
    source = "".join(f"def handler_{i}(request):\n    return respond(request, {i})\n" for i in range(40))
    send(url, "sess-screens-1", [{"role": "user", "content": "Fix the handler. " * 200}])
    turn = [{"role": "user", "content": "This session is being continued from a previous conversation that ran "
                                        "out of context. Summary: the handler returns 500 on an empty body."},
            {"role": "assistant", "content": [{"type": "text", "text": "Let me read the file."},
                                              {"type": "tool_use", "id": "t1", "name": "Read", "input": read}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": source}]}]
    send(url, "sess-screens-1", turn)
    turn += [{"role": "assistant", "content": [{"type": "thinking", "thinking": "The file may have changed.",
                                                "signature": "s"},
                                               {"type": "tool_use", "id": "t2", "name": "Read", "input": read}]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t2", "content": source},
                                          {"type": "text", "text": "<b>and</b> the tests?"}]}]
    send(url, "sess-screens-1", turn)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots", help="folder for the PNGs (created)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, HOME=f"{tmp}/home", RELAY_HOME=f"{tmp}/relay",
                   RELAY_CLAUDE_HOME=f"{tmp}/home/.claude", RELAY_CODEX_HOME=f"{tmp}/home/.codex",
                   RELAY_GEMINI_HOME=f"{tmp}/home/.gemini")
        Path(env["HOME"]).mkdir()
        os.environ.update(env)                 # the planted store opens RELAY_HOME's database
        from relay import paths
        from relay.store import Store
        store = Store(paths.db_path())
        chart_data.plant(store, time.time())
        store.close()
        upstream, upstream_url = start_upstream(env)
        relay = RelayProcess(upstream_url, "--history", env=env).start()
        try:
            conversation(relay.url)
            time.sleep(0.5)
            pages = {"index": "/", "dashboard": "/dashboard/", "display": "/display/", "history": "/history/",
                     "session": "/history/sess-screens-1", "turn": "/history/sess-screens-1/2",
                     "not-found": "/history/nope/"}
            shoot(relay.url, pages, out, env["HOME"])
        finally:
            relay.stop()
            upstream.terminate()
            upstream.wait(10)


def shoot(url, pages, out, home):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"],
                                    env={"HOME": home})
        try:
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
                page = context.new_page()
                for name, path in pages.items():
                    started = time.perf_counter()
                    page.goto(url + path)
                    page.wait_for_load_state("load")
                    took = time.perf_counter() - started
                    file = out / f"{name}-{width}.png"
                    page.screenshot(path=str(file), full_page=True)
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    print(f"{file}  load {took * 1000:.0f} ms  page width {wide} px (viewport {width})")
                context.close()
        finally:
            browser.close()


if __name__ == "__main__":
    main()
