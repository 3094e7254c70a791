"""Pages that sum tables run on gevent's thread pool in a served relay, with their request context,
so the serving loop (every proxied stream) never waits for them; elsewhere they run inline."""
import subprocess
import sys
import textwrap

from tests.relay_process import ROOT

SCRIPT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import sys
    from flask import Flask, request
    from relay.web.offload import offloaded
    original = monkey.get_original("threading", "get_ident")
    app = Flask("t")
    loop_thread = original()

    @app.get("/heavy")
    @offloaded("the heavy page")
    def heavy():
        nested = offloaded("nested")(lambda: original())()   # already on a pool thread: inline
        return {"thread": original(), "nested": nested, "arg": request.args["x"]}

    with app.test_client() as client:
        body = client.get("/heavy?x=7").get_json()
    ok = body["thread"] != loop_thread and body["nested"] == body["thread"] and body["arg"] == "7"
    print("off-loop" if ok else f"on the loop: {body} {loop_thread}")
    sys.exit(0 if ok else 1)
""")


def test_an_offloaded_view_runs_on_a_pool_thread_with_its_request():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "off-loop", done.stdout + done.stderr


def test_without_gevent_an_offloaded_view_runs_inline():
    import threading

    from relay.web.offload import off_loop
    assert off_loop(threading.get_ident) == threading.get_ident()


def test_the_dashboard_reads_go_through_the_offload_and_the_cli_discovery_stays(store, monkeypatch):
    from relay import config
    from relay.present import dashboard, orchestration
    from relay.present.context import Context

    calls = []
    monkeypatch.setattr(orchestration, "installed", lambda ctx: calls.append("discovery") or {"clis": []})
    ctx = Context(config.load(), store, offload=lambda fn: calls.append("offload") or fn())
    body = dashboard.dashboard(ctx)
    assert calls == ["offload", "discovery"]   # discovery after the pool's work, on the caller
    assert body["cli_status"] == {"available": True, "clis": []} and body["guard"]["available"]
