"""Two real `relay serve` processes (two data dirs, as on two developer machines) writing to one
PostgreSQL database at the same time, with history on: every exchange sent is one finished row,
every turn is captured and its request body rebuilt byte for byte from the shared database."""
import json
import threading

import pytest
import requests

from relay.store import Store, history_queries, queries
from tests.fake_upstream import FakeUpstream
from tests.relay_process import RelayProcess

THREADS, TURNS = 4, 8   # per relay: THREADS sessions of TURNS growing requests each


@pytest.fixture
def upstream():
    server = FakeUpstream().start()
    yield server
    server.stop()


def _body(sid, turn):
    messages = []
    for i in range(turn + 1):
        messages.append({"role": "user", "content": f"question {i} of {sid}"})
        if i < turn:
            messages.append({"role": "assistant", "content": [{"type": "text", "text": f"answer {i}"}]})
    data = {"model": "claude-sonnet-4-5", "max_tokens": 32, "stream": turn % 2 == 0,
            "metadata": {"user_id": json.dumps({"session_id": sid})},
            "system": [{"type": "text", "text": "shared system prompt"}], "messages": messages}
    return json.dumps(data).encode()


def _talk(relay, sid, sent, failures):
    for turn in range(TURNS):
        body = _body(sid, turn)
        r = requests.post(f"{relay.url}/v1/messages", data=body, headers={"content-type": "application/json"},
                          timeout=30)
        if r.status_code != 200:
            failures.append((sid, turn, r.status_code))
        sent[sid].append(body)


def test_two_relays_write_to_one_database_and_nothing_is_lost(upstream, pg_url, tmp_path):
    env = {"RELAY_DATABASE_URL": pg_url}
    relays = []
    for name in ("a", "b"):
        home = tmp_path / f"relay-{name}"
        relays.append(RelayProcess(upstream.url, "--history", env={**_environ(), **env, "RELAY_HOME": str(home)}))
    sent: dict = {}
    failures: list = []
    try:
        for relay in relays:
            relay.start()
        threads = []
        for r_index, relay in enumerate(relays):
            for t in range(THREADS):
                sid = f"sess-{r_index}-{t}"
                sent[sid] = []
                threads.append(threading.Thread(target=_talk, args=(relay, sid, sent, failures)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for relay in relays:
            relay.stop()   # SIGTERM: each relay commits what it queued before it exits
    assert failures == []
    assert [relay.proc.returncode for relay in relays] == [0, 0]

    store = Store(tmp_path / "reader.db", url=pg_url)
    try:
        rows = store.read(lambda c: queries.list_exchanges(c, limit=10_000))
        turns = {sid: store.read(lambda c, s=sid: history_queries.list_turns(c, s)) for sid in sent}
        rebuilt = {sid: [store.read(lambda c, s=sid, i=i: history_queries.request_body(c, s, i))
                         for i in range(TURNS)] for sid in sent}
    finally:
        store.close()
    exchanges = 2 * THREADS * TURNS
    assert len(rows) == exchanges and len({r.id for r in rows}) == exchanges
    assert all(r.outcome == "ok" and r.status == 200 and r.usage.output_tokens > 0 for r in rows)
    assert {r.session_id for r in rows} == set(sent)
    assert all(len(t) == TURNS for t in turns.values())
    assert rebuilt == sent


def _environ():
    import os
    return dict(os.environ)
