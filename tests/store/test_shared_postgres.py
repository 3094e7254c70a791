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
from tests.waiting import eventually

THREADS, TURNS = 4, 8   # per relay: THREADS sessions of TURNS growing requests each
# Pages and API routes that read the store, each answered from the shared database.
READS = ("/", "/dashboard/", "/history/", "/history/sess-0-0", "/history/sess-0-0/3", "/metrics",
         *(f"/api/v1/{route}" for route in (
             "health", "requests", "sessions", "prune", "cost", "quota", "cache", "ttl", "errors",
             "guard", "turns", "turns/sess-1-1", "statusline", "history", "history/sess-0-0",
             "history/sess-0-0/composition", "history/sess-0-0/compactions", "history/sess-0-0/turns/3",
             "dashboard", "charts", "display", "delegations", "delegations/stats")))


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
        # while both run: each relay's API, metrics and pages read the whole shared database
        exchanges = 2 * THREADS * TURNS
        eventually(lambda: _finished_rows(relays[1]) == exchanges, "every exchange finished in the shared database")
        eventually(lambda: _metric_sum(relays[0], "relay_requests_total") == exchanges,
                   "the other relay's /metrics to count them")
        assert requests.get(f"{relays[0].url}/api/v1/health", timeout=10).json()["db_path"] == pg_url
        for page in READS:
            shown = requests.get(relays[0].url + page, timeout=30)
            assert shown.status_code == 200, (page, "".join(relays[0].stderr_lines)[-3000:])
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
    assert len(rows) == exchanges and len({r.id for r in rows}) == exchanges
    assert all(r.outcome == "ok" and r.status == 200 and r.usage.output_tokens > 0 for r in rows)
    assert {r.session_id for r in rows} == set(sent)
    assert all(len(t) == TURNS for t in turns.values())
    assert rebuilt == sent



def _finished_rows(relay):
    rows = requests.get(f"{relay.url}/api/v1/requests", params={"limit": 1000}, timeout=10).json()["requests"]
    return sum(r["outcome"] is not None for r in rows)


def _metric_sum(relay, name):
    text = requests.get(f"{relay.url}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{"))


def _environ():
    import os
    return dict(os.environ)
