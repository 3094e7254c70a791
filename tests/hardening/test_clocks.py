"""Clock jumps: durations come from the monotonic clock, timestamps from the wall clock. The
wall clock is never faked globally: the code is checked for wall-clock arithmetic, and uptime
is checked against a start time that a jump has put in the future."""
import ast
import time
from pathlib import Path
from types import SimpleNamespace

from relay.present import exchanges as exchanges_view
from relay.present.context import Context

RELAY = Path(__file__).resolve().parents[2] / "relay"


def _is_wall_clock(node):
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "time"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "time")


def _is_moment(node):
    """An operand that holds a remembered time (a variable or attribute), as in `time.time() - started`.
    Constants (WINDOW_S, guard.PRIME_S), numbers and arithmetic on them make a cutoff timestamp
    (`time.time() - 2 * WINDOW_S`), which is wall-clock math by design."""
    if isinstance(node, ast.Name):
        return not node.id.isupper()
    if isinstance(node, ast.Attribute):
        return not node.attr.isupper()
    return False


def test_no_duration_is_measured_on_the_wall_clock():
    found = []
    for path in RELAY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and (
                    (_is_wall_clock(node.left) and _is_moment(node.right))
                    or (_is_wall_clock(node.right) and _is_moment(node.left))):
                found.append(f"{path.relative_to(RELAY.parent)}:{node.lineno}")
    assert not found, f"time.time() used to measure a duration (use time.monotonic): {found}"


def test_uptime_survives_the_wall_clock_jumping_back():
    store = SimpleNamespace(path="x.db", location="x.db", failure=None, dropped=0, pending=0, queued=0, skipped=0)
    upstreams = {"upstream_anthropic": "http://a", "upstream_openai": "http://o", "upstream_gemini": "http://g",
                 "upstream_chatgpt": "http://c", "upstream_code_assist": "http://ca"}
    ctx = Context(started_at=time.time() + 3600, store=store, settings=upstreams,
                  bus=SimpleNamespace(subscribers=0, resets=0))
    health = exchanges_view.health(ctx, {})
    assert 0 <= health["uptime_s"] < 60 and health["store"] == "ok"


def test_store_status_says_what_fails_and_what_waits():
    store = SimpleNamespace(failure="database or disk is full", dropped=0, pending=3, skipped=0)
    assert exchanges_view.store_status(store) == "failing: database or disk is full; 3 write(s) waiting to be retried"
    store = SimpleNamespace(failure=None, dropped=2, pending=0, skipped=0)
    assert exchanges_view.store_status(store) == "ok; 2 write(s) given up (backlog full)"
    store = SimpleNamespace(failure=None, dropped=0, pending=0, skipped=4)
    assert exchanges_view.store_status(store) == "ok; 4 history capture(s) skipped (writer behind)"
