"""Snapshots for `relay top`: plain dicts built from the running relay (its JSON API, woken by its
SSE stream) or, when no relay answers, from the database directly. Both go through the same
view data (relay.present) as /dashboard/, so top and the page show the same numbers.

Snapshot keys: source ("live" or "database"), where (URL or db path), note (why we fell back),
taken_at, summary, quota, sessions, guard (relay.present.dashboard shapes), rates (last WINDOW_S seconds
of requests: per second, tokens by kind, errors) and recent (the newest requests).
"""
import json
import threading
import time

import requests

from relay import remote
from relay.errors import RelayError
from relay.present import dashboard as dashboard_view
from relay.present import exchanges
from relay.present.context import Context
from relay.proxy import sse
from relay.store import queries

WINDOW_S = 60
RECENT = 8
TOKEN_KINDS = (("input_tokens", "input"), ("output_tokens", "output"), ("cache_read_input_tokens", "cache_read"),
               ("cache_creation_input_tokens", "cache_write"))


def rates(exchanges, now, window_s=WINDOW_S):
    """Requests started and tokens of requests finished within the window, per second."""
    recent = [e for e in exchanges if (e.get("ts") or 0) >= now - window_s]
    finished = [e for e in recent if e.get("outcome")]
    tokens = {kind: sum(e.get(field) or 0 for e in finished) for field, kind in TOKEN_KINDS}
    return {"window_s": window_s, "requests": len(recent), "requests_per_s": len(recent) / window_s,
            "in_window_errors": sum(1 for e in finished if e["outcome"] != "ok"),
            "tokens": tokens, "tokens_per_s": sum(tokens.values()) / window_s}


def snapshot(source, where, dashboard, exchanges, now, note=None):
    by_id = {}
    for e in exchanges:
        by_id[e["id"]] = e      # later entries (fresher) win
    ordered = sorted(by_id.values(), key=lambda e: e.get("ts") or 0, reverse=True)
    return {"source": source, "where": where, "note": note, "taken_at": now,
            "summary": dashboard["summary"], "quota": dashboard["quota"], "sessions": dashboard["sessions"],
            "guard": dashboard.get("guard") or {"available": False},
            "rates": rates(ordered, now), "recent": ordered[:RECENT]}


class DbFeed:
    """Reads the database (read-only use of the store) and runs the alive-process scan itself."""

    def __init__(self, settings, store, note=None):
        self.ctx = Context(settings, store, None, None, None, time.time())
        self.store, self.note = store, note

    def snapshot(self, now=None):
        now = time.time() if now is None else now
        dashboard = dashboard_view.dashboard(self.ctx)
        since = now - WINDOW_S
        rows = self.store.read(lambda c: [r for r in queries.list_exchanges(c, limit=2000) if r.ts >= since])
        recent = [exchanges.exchange(r) for r in rows] + dashboard["requests"]
        return snapshot("database", str(self.store.path), dashboard, recent, now, self.note)

    def wait(self, timeout):
        time.sleep(timeout)

    def close(self):
        pass


class LiveFeed:
    """GET /api/v1/dashboard per frame; a thread follows /api/v1/events so that a finished request
    or a guard alert wakes the loop at once and every request in the window counts toward the rates, not only the
    newest ones the dashboard lists."""

    def __init__(self, base_url, timeout=3.0, token=None):
        self.base = base_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers.update(remote.headers(token))
        self.token_sent = bool(token)
        self.timeout = timeout
        self.seen = {}
        self.lock = threading.Lock()
        self.changed = threading.Event()
        self.closed = threading.Event()
        self.stream = None
        self.thread = None

    def probe(self):
        """True when relay answers; remote.TokenRefused when it has tokens on and ours is missing or
        wrong (an empty screen would hide why)."""
        try:
            answer = self.http.get(self.base + "/api/v1/health", timeout=self.timeout).json()
        except (requests.RequestException, ValueError):
            return False
        if remote.needs_token(answer):
            raise remote.TokenRefused(self.base, self.token_sent)
        return isinstance(answer, dict) and answer.get("ok") is True

    def start(self):
        self.thread = threading.Thread(target=self._follow, name="relay-top-events", daemon=True)
        self.thread.start()
        return self

    def _follow(self):

        while not self.closed.is_set():
            try:
                with self.http.get(self.base + "/api/v1/events", params={"heartbeat": 5}, stream=True,
                                   timeout=(self.timeout, 30)) as response:
                    self.stream = response
                    decoder = sse.Decoder()
                    for chunk in response.iter_content(chunk_size=None):
                        for event in decoder.feed(chunk):
                            self._on_event(event)
                        if self.closed.is_set():
                            return
            except (requests.RequestException, AttributeError, ValueError):
                pass
            self.closed.wait(1.0)   # reconnect after a pause; the server may be restarting

    def _on_event(self, event):
        if event.event == "guard/alert":       # redraw at once: the guard panel changed tier
            self.changed.set()
            return
        if not (event.event or "").startswith("exchange/"):
            return
        data = json.loads(event.data).get("data") or {}
        if not data.get("id"):
            return
        with self.lock:
            self.seen[data["id"]] = data
            cutoff = time.time() - 2 * WINDOW_S
            for key in [k for k, v in self.seen.items() if (v.get("ts") or 0) < cutoff]:
                del self.seen[key]
        self.changed.set()

    def snapshot(self, now=None):
        now = time.time() if now is None else now
        response = self.http.get(self.base + "/api/v1/dashboard", timeout=self.timeout)
        if response.status_code == 401:      # the token was revoked while top ran
            raise remote.TokenRefused(self.base, self.token_sent)
        body = response.json()
        if not body.get("ok"):
            raise RelayError(f"relay at {self.base} answered {body.get('error')!r}")
        dashboard = body["dashboard"]
        with self.lock:
            events = list(self.seen.values())
        return snapshot("live", self.base, dashboard, dashboard["requests"] + events, now)

    def wait(self, timeout):
        """Until the refresh interval passes or an event arrives."""
        self.changed.wait(timeout)
        self.changed.clear()

    def close(self):
        self.closed.set()
        stream = self.stream
        if stream is not None:
            stream.close()


class AutoFeed:
    """The live feed while the relay answers, the database (with a note saying why) when it does
    not, e.g. after the relay stopped mid-session; the next frame tries the relay again."""

    def __init__(self, live, open_db):
        self.live, self.open_db, self.db = live, open_db, None

    def snapshot(self, now=None):

        try:
            return self.live.snapshot(now)
        except remote.TokenRefused:
            raise           # not a relay that stopped: the database would show stale numbers as live
        except (requests.RequestException, ValueError, KeyError, RelayError):
            if self.db is None:
                self.db = self.open_db(f"relay at {self.live.base} stopped answering; reading the database")
            return self.db.snapshot(now)

    def wait(self, timeout):
        self.live.wait(timeout)

    def close(self):
        self.live.close()
        if self.db is not None:
            self.db.close()
