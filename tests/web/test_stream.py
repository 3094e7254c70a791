"""GET /api/v1/events against a real `relay serve`: ids, replay, page fragments, many subscribers
next to a stalled one, unsubscribe on disconnect; and the bus rules underneath."""
import json
import socket
import threading
import time

import pytest
import requests

from relay.bus import Bus
from tests.proxy.conftest import messages_body


def post(relay, session="sess-stream"):
    r = requests.post(relay.url + "/v1/messages", data=messages_body(), timeout=10,
                      headers={"content-type": "application/json", "x-claude-code-session-id": session})
    assert r.status_code == 200
    return r


class Reader:
    """Reads one SSE stream on a thread, keeping (id, event, data) tuples."""

    def __init__(self, url, headers=None):
        self.events, self.comments = [], []
        self.response = requests.get(url, stream=True, timeout=30, headers=headers or {})
        assert self.response.status_code == 200
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        current = {}
        try:
            for line in self.response.iter_lines(chunk_size=None, decode_unicode=True):
                if line.startswith(":"):
                    self.comments.append(line)
                elif not line:
                    if "data" in current:   # the opening block is only a retry hint
                        self.events.append((current.get("id"), current.get("event"), current.get("data")))
                    current = {}
                else:
                    name, _, value = line.partition(": ")
                    current[name] = value
        except (requests.RequestException, AttributeError, ValueError):
            pass   # closed by the test

    def wait(self, count, timeout=10):
        deadline = time.time() + timeout
        while len(self.events) < count and time.time() < deadline:
            time.sleep(0.02)
        return self.events

    def close(self):
        self.response.close()


def lifecycle(events):
    """The start and finish events, without the throttled chunk progress in between."""
    return [e for e in events if e[1] != "exchange/chunk"]


def subscribers(relay):
    return requests.get(relay.url + "/api/v1/health", timeout=5).json()["live"]["subscribers"]


def wait_for(predicate, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_events_carry_kinds_and_increasing_ids(relay):
    reader = Reader(relay.url + "/api/v1/events?heartbeat=0.2")
    try:
        assert wait_for(lambda: subscribers(relay) == 1)
        post(relay)
        post(relay)
        assert wait_for(lambda: len(lifecycle(reader.events)) >= 4)
        events = reader.events
        assert [e[1] for e in lifecycle(events)] == ["exchange/start", "exchange/finish"] * 2
        ids = [int(e[0]) for e in events]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        # each stream reports progress between its start and finish (the first chunk always does)
        assert [e[1] for e in events].count("exchange/chunk") >= 2
        chunk = json.loads(next(e[2] for e in events if e[1] == "exchange/chunk"))
        assert chunk["data"]["response_bytes"] > 0 and chunk["data"]["outcome"] is None
        finish = json.loads(lifecycle(events)[1][2])
        assert finish["kind"] == "exchange/finish" and finish["data"]["outcome"] == "ok"
        assert finish["data"]["session_id"] == "sess-stream"
        assert wait_for(lambda: reader.comments.count(": heartbeat") >= 1, timeout=3)
    finally:
        reader.close()


def test_last_event_id_replays_what_was_missed(relay):
    post(relay)
    post(relay)
    reader = Reader(relay.url + "/api/v1/events?heartbeat=0.2", headers={"Last-Event-ID": "1"})
    try:
        events = reader.wait(3)
        assert [int(e[0]) for e in events[:3]] == [2, 3, 4]   # everything after 1, in order
    finally:
        reader.close()


def test_dashboard_fragments_include_the_new_row_and_committed_numbers(relay):
    reader = Reader(relay.url + "/api/v1/events?page=dashboard&heartbeat=0.2")
    try:
        assert wait_for(lambda: subscribers(relay) == 1)
        post(relay)
        assert wait_for(lambda: any("outcome-ok" in f["html"] for f in fragments(reader)))
        frames = [json.loads(e[2]) for e in reader.events]
        assert all(e[1] == "fragments" for e in reader.events)
        kinds = [f["kind"] for f in frames if f["kind"] in ("exchange/start", "exchange/finish")]
        assert kinds == ["exchange/start", "exchange/finish"]
        rows = [f for f in fragments(reader) if f["id"].startswith("exchange-")]
        recorded = requests.get(relay.url + "/api/v1/requests", timeout=5).json()["requests"]
        assert {r["id"] for r in rows} == {f"exchange-{recorded[0]['id']}"}
        assert all(r["into"] == "requests-rows" for r in rows)
        # the store's writer runs behind the bus; the numbers waited for the row to be committed,
        # and the last summary sent (maybe a trailing one, aggregates are coalesced) counts it
        assert wait_for(lambda: 'id="requests-today">1<' in latest(reader, "summary"), timeout=3)
        assert wait_for(lambda: {"summary", "turn-monitor", "quota", "requests-empty"}
                        <= {f["id"] for f in fragments(reader)}, timeout=3)
        assert 'class="outcome-ok"' in latest(reader, f"exchange-{recorded[0]['id']}")
    finally:
        reader.close()


def fragments(reader):
    return [f for e in list(reader.events) for f in json.loads(e[2])["fragments"]]


def latest(reader, element_id):
    found = [f["html"] for f in fragments(reader) if f["id"] == element_id]
    return found[-1] if found else ""


def test_a_burst_of_events_renders_the_aggregates_a_few_times_and_ends_current(relay):
    reader = Reader(relay.url + "/api/v1/events?page=dashboard&heartbeat=5")
    try:
        assert wait_for(lambda: subscribers(relay) == 1)
        for i in range(12):
            post(relay, session=f"burst-{i}")
        assert wait_for(lambda: 'id="requests-today">12<' in latest(reader, "summary"), timeout=5)
        rows = {f["id"] for f in fragments(reader) if f["id"].startswith("exchange-")}
        assert len(rows) == 12                               # every row, every time
        summaries = [f for f in fragments(reader) if f["id"] == "summary"]
        assert len(summaries) < 24                           # but not one aggregate render per event
    finally:
        reader.close()


def test_bad_parameters_get_the_api_error(relay):
    for query, headers in (("page=nope", {}), ("heartbeat=0", {}), ("heartbeat=x", {}), ("", {"Last-Event-ID": "x"})):
        r = requests.get(relay.url + "/api/v1/events?" + query, headers=headers, timeout=5)
        assert r.status_code == 400 and r.json()["ok"] is False, query


def test_many_subscribers_and_a_stalled_one(relay):
    stalled = socket.create_connection(("127.0.0.1", relay.port))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /api/v1/events?page=dashboard HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")   # never read
    readers = [Reader(relay.url + "/api/v1/events?heartbeat=0.1") for _ in range(40)]
    try:
        assert wait_for(lambda: subscribers(relay) == 41)
        for i in range(10):
            post(relay, session=f"sess-{i}")
        for reader in readers:
            assert wait_for(lambda reader=reader: len(lifecycle(reader.events)) >= 20)
            assert [e[1] for e in lifecycle(reader.events)] == ["exchange/start", "exchange/finish"] * 10
    finally:
        for reader in readers:
            reader.close()
    # closed browsers are noticed at the next heartbeat write and unsubscribed
    assert wait_for(lambda: subscribers(relay) == 1), subscribers(relay)
    stalled.close()


def test_bus_resets_a_subscriber_that_falls_behind_without_blocking_the_publisher():
    bus = Bus(ring=100, queue_size=5)
    slow, fast = bus.subscribe(), bus.subscribe()
    got = []
    # nothing ever drains `slow`: a publisher that waited on its full queue would hang right here
    for i in range(50):
        bus.publish("exchange/start", {"i": i})
        got.append(fast.get(timeout=0))
    assert [e.data["i"] for e in got] == list(range(50))
    first = slow.get(timeout=0)
    assert first.kind == "reset" and bus.resets >= 1
    slow.close()
    fast.close()
    assert bus.subscribers == 0


def test_bus_replay_window_passed_means_reset():
    bus = Bus(ring=3)
    for i in range(10):
        bus.publish("usage/tick", {"i": i})
    sub = bus.subscribe(last_event_id=2)
    events = [sub.get(timeout=0) for _ in range(4)]
    assert events[0].kind == "reset" and [e.id for e in events[1:]] == [8, 9, 10]


def test_throttled_publish_keeps_a_few_per_second():
    bus = Bus()
    built = []
    sent = [bus.publish_throttled("exchange/chunk", "ex-1", lambda i=i: built.append(i) or {"n": i}, interval=60)
            for i in range(100)]
    assert sum(e is not None for e in sent) == 1
    assert built == [0] and sent[0].data == {"n": 0}   # the payload is only built when sent
    assert bus.publish_throttled("exchange/chunk", "ex-2", {}, interval=60) is not None   # per key
    bus.forget("ex-1")
    assert bus.publish_throttled("exchange/chunk", "ex-1", {}, interval=60) is not None
    with pytest.raises(ValueError):
        bus.publish("nope/kind")
