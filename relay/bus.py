"""In-memory event bus: the live pages, `relay top` and SSE read the proxy's events from here.

Event kinds: see KINDS; "exchange/chunk" is meant for publish_throttled (a stream has thousands
of chunks, a page wants a few updates a second). Every event has a monotonically increasing id; a ring
of recent events serves Last-Event-ID replay.
Each subscriber has a bounded queue; the publisher never blocks: a subscriber that falls behind
loses its backlog and receives one "reset" event telling it to reload.
"""
import itertools
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field

KINDS = ("exchange/start", "exchange/chunk", "exchange/finish", "usage/tick", "finding/add", "guard/alert",
         "session/update", "reset")


@dataclass
class Event:
    id: int
    kind: str
    data: dict = field(default_factory=dict)
    ts: float = field(default_factory=time.time)

    def to_dict(self):
        return {"id": self.id, "kind": self.kind, "data": self.data, "ts": self.ts}


class Subscription:
    def __init__(self, bus, maxsize):
        self._bus = bus
        self.queue = queue.Queue(maxsize)

    def get(self, timeout=None):
        """The next event, or None after `timeout` seconds (callers send a heartbeat then)."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self):
        self._bus._unsubscribe(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Bus:
    def __init__(self, ring=1000, queue_size=1000):
        self._ids = itertools.count(1)
        self._ring = deque(maxlen=ring)
        self._subs = set()
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._last_sent = {}   # throttle key -> monotonic time of its last publish
        self.resets = 0        # subscribers reset for falling behind, since start (for stats and tests)

    def publish(self, kind, data=None):
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        with self._lock:
            event = Event(next(self._ids), kind, data or {})
            self._ring.append(event)
            subs = list(self._subs)
        for sub in subs:
            self._offer(sub, event)
        return event

    def publish_throttled(self, kind, key, data=None, interval=0.25):
        """Publish unless an event with the same key went out less than `interval` seconds ago;
        returns the event or None. `data` may be a callable, called only when the event is sent
        (the proxy calls this per chunk). Callers publish the final state unthrottled."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_sent.get(key, float("-inf")) < interval:
                return None
            self._last_sent[key] = now
            if len(self._last_sent) > 4096:   # keys of finished streams: forget the oldest
                for stale in list(self._last_sent)[:2048]:
                    del self._last_sent[stale]
        return self.publish(kind, data() if callable(data) else data)

    def forget(self, key):
        """Drop a throttle key (its stream ended)."""
        with self._lock:
            self._last_sent.pop(key, None)

    def subscribe(self, last_event_id=None):
        """A subscription; with last_event_id, events after it are replayed first (or a reset
        when they have left the ring)."""
        sub = Subscription(self, self._queue_size)
        with self._lock:
            self._subs.add(sub)
            backlog = list(self._ring)
        if last_event_id is not None:
            missed = [e for e in backlog if e.id > last_event_id]
            if backlog and last_event_id < backlog[0].id - 1:
                self._offer(sub, Event(0, "reset", {"reason": "replay window passed"}))
            for event in missed:
                self._offer(sub, event)
        return sub

    @property
    def subscribers(self):
        return len(self._subs)

    def _unsubscribe(self, sub):
        with self._lock:
            self._subs.discard(sub)

    def _offer(self, sub, event):
        try:
            sub.queue.put_nowait(event)
        except queue.Full:
            while True:
                try:
                    sub.queue.get_nowait()
                except queue.Empty:
                    break
            self.resets += 1
            sub.queue.put_nowait(Event(0, "reset", {"reason": "subscriber fell behind"}))
