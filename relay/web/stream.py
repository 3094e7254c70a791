"""GET /api/v1/events: the bus as Server-Sent Events.

Without ?page= each event is its JSON (id, kind, data, ts) for programs. With ?page=dashboard or
?page=display each event becomes the HTML fragments of that page's live elements, rendered from
the same partials as the full page (static/live.js swaps them in by element id). Fragments are
rendered once per (event, page, language) and shared by every subscriber, so 200 open pages cost
one render per event, not 200.

The stream starts with a retry hint, replays from Last-Event-ID when the browser reconnects, sends
a comment every `heartbeat` seconds (which is also how a closed browser is noticed: the write
fails, the generator is closed and the subscription ends), and tells a subscriber that fell
behind to reload with a "reset" event.
"""
import json
import logging
import threading
import time
from collections import OrderedDict

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context

from relay.errors import RelayError
from relay.proxy import sse
from relay.store import queries
from relay.web import views

bp = Blueprint("stream", __name__, url_prefix="/api/v1")
log = logging.getLogger("relay.web.stream")
HEARTBEAT_S = 15.0
RECORD_WAIT_S = 1.0   # how long a fragment waits for the store writer to commit the event's row


class FragmentCache:
    """Rendered fragments by key; concurrent askers for one key wait for the first one's render."""

    def __init__(self, size=128):
        self._lock = threading.Lock()
        self._entries = OrderedDict()
        self._size = size

    def get(self, key, build):
        with self._lock:
            entry = self._entries.get(key)
            owner = entry is None
            if owner:
                entry = self._entries[key] = {"done": threading.Event(), "value": None}
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)
        if owner:
            try:
                entry["value"] = build()
            except Exception:
                log.exception("rendering fragments for %s failed", key)
            finally:
                entry["done"].set()
        else:
            entry["done"].wait(5)
        return entry["value"]


def _await_recorded(ctx, event):
    """The bus runs ahead of the store's single writer: wait (briefly, cooperatively) until the
    event's exchange is committed, so the numbers rendered next include it."""
    data = event.data or {}
    if not event.kind.startswith("exchange/") or not data.get("id"):
        return
    finished = event.kind == "exchange/finish"
    deadline = time.monotonic() + RECORD_WAIT_S
    while time.monotonic() < deadline:
        row = ctx.store.read(lambda c: queries.get_exchange(c, data["id"]))
        if row is not None and (not finished or row.outcome is not None):
            return
        time.sleep(0.01)


def _exchange_fragments(event):
    if event.kind not in ("exchange/start", "exchange/finish"):
        return []
    row = render_template("_partials/exchange_row.html", r=event.data)
    return [{"id": "requests-empty", "html": ""},
            {"id": f"exchange-{event.data['id']}", "into": "requests-rows", "html": row}]


def dashboard_fragments(ctx, event):
    frags = _exchange_fragments(event)
    frags.append({"id": "summary", "html": render_template("_partials/summary.html", summary=views.summary(ctx))})
    frags.append({"id": "turn-monitor", "html": render_template(
        "_partials/turn_monitor.html", sessions=views.live_sessions(ctx), live_minutes=views.LIVE_MINUTES)})
    if event.kind == "exchange/finish":
        frags.append({"id": "quota", "html": render_template("_partials/quota.html", quota=views.quota(ctx))})
    return frags


def display_fragments(ctx, event):
    if event.kind == "exchange/chunk":
        return []
    return [{"id": "cards", "html": render_template("_partials/cards.html", **views.display(ctx))}]


PAGES = {"dashboard": dashboard_fragments, "display": display_fragments}


def _frame(ctx, event, page, lang):
    if event.kind == "reset":   # no id: the browser keeps its Last-Event-ID and reloads
        return sse.encode(json.dumps(event.data), event="reset")
    if page is None:
        return sse.encode(json.dumps(event.to_dict()), event=event.kind, id=event.id)

    def build():
        _await_recorded(ctx, event)
        return json.dumps({"kind": event.kind, "ts": event.ts, "fragments": PAGES[page](ctx, event)})
    payload = current_app.extensions["relay_fragments"].get((event.id, page, lang), build)
    if payload is None:
        return None
    return sse.encode(payload, event="fragments", id=event.id)


def _last_event_id():
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise RelayError(f"Last-Event-ID must be a whole number, got {raw!r}", status=400) from None


def _heartbeat():
    raw = request.args.get("heartbeat")
    if raw is None:
        return HEARTBEAT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not 0.05 <= value <= 60:
        raise RelayError(f"heartbeat must be seconds between 0.05 and 60, got {raw!r}", status=400)
    return value


@bp.get("/events")
def events():
    from relay.web.pages import request_lang
    page = request.args.get("page") or None
    if page is not None and page not in PAGES:
        raise RelayError(f"page must be one of {', '.join(PAGES)}, got {page!r}", status=400)
    heartbeat, last_id = _heartbeat(), _last_event_id()
    ctx = current_app.extensions["relay"]
    lang = request_lang()
    sub = ctx.bus.subscribe(last_id)

    def generate():
        try:
            yield b"retry: 1000\n: connected\n\n"
            while True:
                event = sub.get(timeout=heartbeat)
                if event is None:
                    yield b": heartbeat\n\n"
                    continue
                frame = _frame(ctx, event, page, lang)
                if frame is not None:
                    yield frame
        finally:
            sub.close()

    response = Response(stream_with_context(generate()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"   # a reverse proxy in front must not buffer either
    return response


def init_app(app):
    app.extensions["relay_fragments"] = FragmentCache()
    app.register_blueprint(bp)
