"""Bytes history capture stores per 100 turns of a synthetic Claude Code session.

The session is shaped like ../shared/fixtures/claude-code/request-*.json: the real system prompt
and tool schemas of request-tool-followup.json, then turns of user text, an assistant reply
with a tool_use, a tool_result of a few KB, with the cache_control breakpoint moved to the newest
message each request as Claude Code does. Each request goes through the capture writer task into
a fresh store; printed: request bytes sent, bytes stored (compressed blobs + turn rows) and the
database file size, per 100 turns.
Run: python bench/history_size.py [turns]
"""
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relay.models import Exchange, Usage  # noqa: E402
from relay.proxy.stages.capture.stage import record_turn  # noqa: E402
from relay.store import Store, history_queries  # noqa: E402

FIXTURE = ROOT.parent / "shared" / "fixtures" / "claude-code" / "request-tool-followup.json"


def _words(rng, n):
    vocab = "the file function test error value import return class module request cache token session".split()
    return " ".join(rng.choice(vocab) for _ in range(n))


def bodies(turns, seed=7):
    base = json.loads(FIXTURE.read_text())["body"]
    rng = random.Random(seed)
    messages = list(base["messages"][:2])
    for i in range(turns):
        tool_id = f"toolu_{i:06d}"
        messages.append({"role": "assistant", "content": [
            {"type": "text", "text": _words(rng, 40)},
            {"type": "tool_use", "id": tool_id, "name": "Bash", "input": {"command": f"cat src/file_{i}.py"}}]})
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tool_id, "content": _words(rng, 600)},
            {"type": "text", "text": _words(rng, 15), "cache_control": {"type": "ephemeral"}}]})
        if len(messages) > 4:    # the breakpoint moves on: the previous newest message loses it
            del messages[-3]["content"][-1]["cache_control"]
        body = dict(base, messages=messages)
        yield json.dumps(body, ensure_ascii=False).encode()
        messages = json.loads(json.dumps(messages))


def main(turns=100):
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "relay.db")
        sent = 0
        for i, body in enumerate(bodies(turns)):
            sent += len(body)
            ex = Exchange(id=f"ex{i}", ts=time.time(), provider="anthropic", method="POST", path="/v1/messages",
                          session_id="bench", usage=Usage(input_tokens=10, cache_read_input_tokens=20000))
            store.write(record_turn(ex, body, [], 50))
        stats = store.read(history_queries.storage)
        kinds = store.read(lambda c: c.execute("SELECT kind, COUNT(*) FROM history_turns GROUP BY kind").fetchall())
        store.close()
        size = (Path(tmp) / "relay.db").stat().st_size
    scale = 100 / turns
    stored = stats["blob_bytes"] + stats["turn_row_bytes"]
    print(f"turns: {turns}  kinds: {dict((k, n) for k, n in kinds)}")
    print(f"request bytes sent per 100 turns:   {sent * scale:>12,.0f}")
    print(f"stored per 100 turns (blobs+rows):  {stored * scale:>12,.0f}  "
          f"(blobs {stats['blob_bytes'] * scale:,.0f} compressed from {stats['blob_raw_bytes'] * scale:,.0f}, "
          f"rows {stats['turn_row_bytes'] * scale:,.0f})")
    print(f"database file per 100 turns:        {size * scale:>12,.0f}")
    print(f"ratio sent/stored: {sent / stored:.0f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
