"""Whole-process time of `relay statusline`, next to `ccusage statusline` on the same machine.

    python bench/statusline.py                  # 100k exchanges, 50 runs each
    python bench/statusline.py --rows 20000 --runs 20

relay reads a database of `--rows` proxied exchanges (every one with unified quota headers, 50
sessions, spread over the last `--rows` seconds, so most of them are today); ccusage reads the
same number of assistant messages as Claude Code session files (50 files), as it has no database.
Each run is a fresh process fed one status JSON on stdin, as Claude Code runs it, after one warm-up
run; the commands take turns, one run each per round, so a loaded machine weighs on all alike.
The line is timed both redrawn over an unchanged database (its per-session cache answers) and
right after a new exchange of its session was written (the usual case after an assistant message:
the database is read). Two forms: the command `relay init --statusline` writes (relay.paths.statusline_command: the
interpreter under -I -S on relay/statusline_entry.py, no site-packages) and `relay statusline`
(relay.py here, as a source checkout runs it; an installed `relay` script starts the same way, with
site). Also printed: `python -c pass` and `python -I -S -c pass`, the interpreter's own start-up
with and without site-packages (its .pth files) on this machine, the floors of the two forms.
ccusage 20.0.24 is taken from ~/.cache/relay-ci/ccusage (npm) when it is there, run
with --no-cache (its default caches the line for a second) and --offline. Numbers only.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from live_views import _fill  # noqa: E402

from relay import paths  # noqa: E402
from relay.store import Store  # noqa: E402

CCUSAGE = Path.home() / ".cache" / "relay-ci" / "ccusage"


def _status(session):
    return json.dumps({"hook_event_name": "Status", "session_id": session, "transcript_path": "/dev/null",
                       "cwd": "/work/p0", "model": {"id": "claude-opus-4-6", "display_name": "Opus 4.6"},
                       "workspace": {"current_dir": "/work/p0", "project_dir": "/work/p0"}, "version": "2.1.90",
                       "cost": {"total_cost_usd": 1.5, "total_duration_ms": 1000},
                       "context_window": {"context_window_size": 1000000, "used_percentage": 12,
                                          "remaining_percentage": 88, "total_input_tokens": 120010,
                                          "total_output_tokens": 500,
                                          "current_usage": {"input_tokens": 10, "output_tokens": 500,
                                                            "cache_read_input_tokens": 100000,
                                                            "cache_creation_input_tokens": 20000}}})


def _run(cmd, stdin, env):
    start = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, timeout=120)
    if done.returncode:
        raise SystemExit(f"{cmd} failed: {done.stderr[:500]}")
    return (time.perf_counter() - start) * 1000, done.stdout.strip()


def _bench(cases, runs):
    """Time every case `runs` times, one run of each in turn, so that load that comes and goes on
    a shared machine weighs on all of them alike; one warm-up run each first. A case may carry a
    `before` step, run untimed ahead of each of its runs."""
    for _, cmd, stdin, env, *_before in cases:
        _run(cmd, stdin, env)
    took = {name: [] for name, *_ in cases}
    out = {}
    for _ in range(runs):
        for name, cmd, stdin, env, *before in cases:
            for step in before:
                step()
            ms, out[name] = _run(cmd, stdin, env)
            took[name].append(ms)
    print(f"load {os.getloadavg()[0]:.1f} after the runs")
    for name, *_ in cases:
        times = sorted(took[name])
        p50, p99 = statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"{name:<34} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   {out[name][:100]!r}")


def _claude_history(root, rows, now):
    """`rows` assistant messages in 50 session files, timestamps spread like the database's."""
    per = rows // 50
    for s in range(50):
        path = root / "projects" / f"-work-p{s % 5}" / f"s{s}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as out:
            for i in range(per):
                n = s + i * 50
                ts = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - (rows - n)))
                out.write(json.dumps({
                    "type": "assistant", "sessionId": f"s{s}", "timestamp": ts, "cwd": f"/work/p{s % 5}",
                    "requestId": f"req_{n}", "uuid": f"u{n}", "parentUuid": None, "message": {
                        "id": f"msg_{n}", "role": "assistant", "model": "claude-opus-4-6",
                        "content": [{"type": "text", "text": "ok"}],
                        "usage": {"input_tokens": 10 + n % 500, "output_tokens": n % 2000,
                                  "cache_read_input_tokens": n % 90000, "cache_creation_input_tokens": n % 3000}}})
                    + "\n")


def _ccusage():
    native = next(CCUSAGE.glob("node_modules/@ccusage/ccusage-linux-*/bin/ccusage"), None)
    wrapper = CCUSAGE / "node_modules" / ".bin" / "ccusage"
    return native, wrapper if wrapper.exists() else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        # Compiled modules as an installed relay has them (a checkout run with
        # PYTHONDONTWRITEBYTECODE would recompile every module on every run), kept out of the tree;
        # the -I form ignores both variables and writes relay/__pycache__ once, as pip compiles at install.
        env = dict(os.environ, RELAY_HOME=str(Path(tmp) / "relay-home"), HOME=tmp, NO_COLOR="1",
                   PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["RELAY_HOME"] = env["RELAY_HOME"]
        now = time.time()
        store = Store(Path(env["RELAY_HOME"]) / "relay.db")
        _fill(store, 0, args.rows, now)
        store.close()
        added = iter(range((args.rows // 50 + 1) * 50 + 7, 10 ** 9, 50))   # n % 50 == 7: session s7, the line's

        def new_exchange():
            # What Claude Code's status line mostly meets: the proxy wrote this session's answer
            # just before the line is drawn, so nothing cached is still current.
            writer = Store(Path(env["RELAY_HOME"]) / "relay.db")
            _fill(writer, next(added), 1, time.time() + 1)
            writer.close()
        print(f"{args.rows} exchanges in the database, {args.runs} runs each, load {os.getloadavg()[0]:.1f}")
        stdin = _status("s7")
        empty = dict(env, RELAY_HOME=str(Path(tmp) / "empty"))
        written = paths.statusline_command()       # what `relay init --statusline` writes
        script = [sys.executable, str(ROOT / "relay.py"), "statusline"]
        cases = [("python3 -c pass", [sys.executable, "-c", "pass"], "", env),
                 ("python3 -I -S -c pass", [sys.executable, "-I", "-S", "-c", "pass"], "", env),
                 ("init's command (-I -S entry)", written, stdin, env),
                 ("init's command (no database)", written, stdin, empty),
                 ("relay statusline", script, stdin, env),
                 ("relay statusline (no database)", script, stdin, empty)]
        _bench(cases, args.runs)
        # Apart from the cases above, whose database must stay unchanged between their runs.
        _bench([("init's command (a new exchange)", written, stdin, env, new_exchange),
                ("relay statusline (a new exchange)", script, stdin, env, new_exchange)], args.runs)
        # ccusage takes its turns apart: the npm form leaves node busy for a while after it
        # exits, which would weigh on whichever command runs next.
        cases = []
        native, wrapper = _ccusage()
        if native or wrapper:
            claude = Path(tmp) / "claude"
            _claude_history(claude, args.rows, now)
            cc_env = dict(env, CLAUDE_CONFIG_DIR=str(claude))
            flags = ["statusline", "--offline", "--no-cache"]
            if native:
                cases.append(("ccusage statusline (native)", [str(native), *flags], stdin, cc_env))
            if wrapper and shutil.which("node"):
                cases.append(("ccusage statusline (npm bin)", [str(wrapper), *flags], stdin, cc_env))
            _bench(cases, args.runs)
        else:
            print(f"ccusage: not installed (npm install --prefix {CCUSAGE} ccusage@20.0.24), skipped")

if __name__ == "__main__":
    main()
