"""GET /api/v1/events: the bus as Server-Sent Events.

Without ?page= each event is its JSON (id, kind, data, ts) for programs. With ?page=dashboard or
?page=display each event becomes the HTML fragments of that page's live elements, rendered from
the same partials as the full page (static/live.js swaps them in by element id).

Rendering is shared and bounded, because it runs in the process that relays the streams:
- fragments are rendered once per (event, page, language) and shared by every subscriber, so 200
  open pages cost one render per event, not 200;
- a new request row is rendered for every event (cheap), but the aggregates (today's numbers,
  quota, the Turn Monitor, the cards: queries over the day) at most once per AGGREGATE_EVERY
  seconds per page and language; events inside that window get a trailing update when it ends;
- under gevent the renders run on a native thread of gevent's pool, so SQLite and psutil time is
  not time the hub stops relaying chunks; the running-CLI scan is reused for ALIVE_TTL seconds.

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
from relay.present import charts, live, orchestration
from relay.present import dashboard as dashboard_view
from relay.present import guard as guard_view
from relay.present.dashboard import gathered
from relay.proxy import sse
from relay.store import queries
from relay.web import i18n
from relay.web.api.live import alive
from relay.web.offload import off_loop
from relay.web.pages import request_lang

bp = Blueprint("stream", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)
HEARTBEAT_S = 15.0
RECORD_WAIT_S = 1.0      # how long a fragment waits for the store writer to commit the event's row
AGGREGATE_EVERY = 0.5    # seconds between two renders of a page's aggregate elements
ALIVE_TTL = 2.0          # seconds a scan of running CLIs is reused


class FragmentCache:
    """Rendered fragments by key; concurrent askers for one key wait for the first one's render."""

    def __init__(self, size=256):
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


class Renderer:
    """One per app: the fragment cache, when each page's aggregates were last rendered, and the
    last scan of running CLIs (pages and the API use it too)."""

    def __init__(self, app):
        self.app = app
        self.cache = FragmentCache()
        self._aggregated_at = {}
        self._alive = (0.0, None)

    def running(self):
        at, rows = self._alive
        if rows is None or time.monotonic() - at > ALIVE_TTL:
            rows = off_loop(lambda: alive(self.app))   # psutil walks every process
            self._alive = (time.monotonic(), rows)
        return rows

    def _render(self, lang, fn):
        def run():
            with self.app.app_context():
                return fn(self.app.extensions["relay"], {"lang": lang, "t": i18n.translator(lang)})
        return off_loop(run)

    def event(self, event, page, lang):
        """(frame, complete): the event's fragments as an encoded SSE frame (None when the page
        has nothing to update), shared by every subscriber; complete is False when the
        aggregates were left for the trailing update."""
        def build():
            key = (page, lang)
            progress = event.kind == "exchange/chunk"   # a row's progress never moves the day's numbers
            due = not progress and time.monotonic() - self._aggregated_at.get(key, float("-inf")) >= AGGREGATE_EVERY
            if due:
                self._aggregated_at[key] = time.monotonic()

            def fn(ctx, tr):
                _await_recorded(ctx, event)
                frags = _event_fragments(ctx, event, tr) if page == "dashboard" else []
                if due:
                    frags += PAGES[page](self, ctx, tr, event.kind)
                return frags
            frags = self._render(lang, fn)
            if not frags:
                return None, due or progress
            payload = json.dumps({"kind": event.kind, "ts": event.ts, "fragments": frags})
            return sse.encode(payload, event="fragments", id=event.id), due or progress
        return self.cache.get((event.id, page, lang), build)

    def trailing(self, upto_id, page, lang):
        """The aggregates after a window of events whose own frames left them out."""
        def build():
            self._aggregated_at[(page, lang)] = time.monotonic()
            frags = self._render(lang, lambda ctx, tr: PAGES[page](self, ctx, tr, "exchange/finish"))
            return sse.encode(json.dumps({"kind": "aggregate", "ts": time.time(), "fragments": frags}),
                              event="fragments")
        return self.cache.get(("trailing", upto_id, page, lang), build)

    def next_aggregate_in(self, page, lang):
        return max(0.0, self._aggregated_at.get((page, lang), 0.0) + AGGREGATE_EVERY - time.monotonic())


def _await_recorded(ctx, event):
    """The bus runs ahead of the store's single writer: wait (briefly) until the event's exchange
    is committed, so the numbers rendered next include it."""
    data = event.data or {}
    if not event.kind.startswith("exchange/") or not data.get("id"):
        return
    finished = event.kind == "exchange/finish"
    deadline = time.monotonic() + RECORD_WAIT_S
    while time.monotonic() < deadline:
        row = ctx.store.read(lambda c: queries.get_exchange(c, data["id"]))
        if row is not None and (not finished or row.outcome is not None):
            return
        time.sleep(0.005)


def _event_fragments(ctx, event, tr):
    """What one event changes on the dashboard by itself, outside the throttled aggregates: its
    request row, or the guard section when the guard changed tier (an alert must not wait)."""
    if event.kind == "guard/alert":
        return [_guard_fragment(ctx, tr)]
    if event.kind not in ("exchange/start", "exchange/chunk", "exchange/finish"):
        return []
    row = render_template("_partials/exchange_row.html", r=event.data, **tr)
    return [{"id": "requests-empty", "html": ""},
            {"id": f"exchange-{event.data['id']}", "into": "requests-rows", "html": row}]


def _guard_fragment(ctx, tr):
    return {"id": "guard", "html": render_template("_partials/guard.html",
                                                   guard=gathered(guard_view.current, ctx), **tr)}


def dashboard_fragments(renderer, ctx, tr, kind):
    sessions = live.live_sessions(ctx, running_now=renderer.running())
    summary = dashboard_view.summary(ctx)
    frags = [{"id": "summary", "html": render_template("_partials/summary.html", summary=summary, **tr)},
             {"id": "turn-monitor", "html": render_template("_partials/turn_monitor.html", sessions=sessions,
                                                            live_minutes=live.LIVE_MINUTES, **tr)}]
    if kind == "exchange/finish":
        # a finished request moves the quota and the guard's values; delegations ride along (cheap)
        quota = dashboard_view.quota(ctx)
        frags += [{"id": "quota", "html": render_template("_partials/quota.html", quota=quota, **tr)},
                  _guard_fragment(ctx, tr),
                  {"id": "delegations", "html": render_template(
                      "_partials/delegations.html", delegations=gathered(orchestration.delegations, ctx), **tr)},
                  {"id": "charts", "html": render_template(
                      "_partials/charts.html", charts=gathered(charts.dashboard_charts, ctx), **tr)}]
    return frags


def display_fragments(renderer, ctx, tr, kind):
    return [{"id": "cards", "html": render_template("_partials/cards.html",
                                                    **live.display(ctx, running_now=renderer.running()), **tr)}]


PAGES = {"dashboard": dashboard_fragments, "display": display_fragments}


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
    page = request.args.get("page") or None
    if page is not None and page not in PAGES:
        raise RelayError(f"page must be one of {', '.join(PAGES)}, got {page!r}", status=400)
    heartbeat, last_id = _heartbeat(), _last_event_id()
    lang = request_lang()
    renderer = current_app.extensions["relay_renderer"]
    sub = current_app.extensions["relay"].bus.subscribe(last_id)

    def generate():
        pending = None   # id of the last event whose frame left the aggregates out
        try:
            yield b"retry: 1000\n: connected\n\n"
            while True:
                wait = heartbeat if pending is None else min(heartbeat, renderer.next_aggregate_in(page, lang))
                event = sub.get(timeout=wait)
                if event is None:
                    if pending is not None:
                        frame = renderer.trailing(pending, page, lang)
                        pending = None
                        if frame is not None:
                            yield frame
                    else:
                        yield b": heartbeat\n\n"
                elif event.kind == "reset":   # no id: the browser keeps its Last-Event-ID and reloads
                    yield sse.encode(json.dumps(event.data), event="reset")
                elif page is None:
                    yield renderer.cache.get((event.id, "json"), lambda event=event: sse.encode(
                        json.dumps(event.to_dict()), event=event.kind, id=event.id))
                else:
                    frame, complete = renderer.event(event, page, lang) or (None, True)
                    pending = None if complete else event.id
                    if frame is not None:
                        yield frame
        finally:
            sub.close()

    response = Response(stream_with_context(generate()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"   # a reverse proxy in front must not buffer either
    return response


def init_app(app):
    renderer = app.extensions["relay_renderer"] = Renderer(app)
    app.extensions["relay"].running = renderer.running   # pages and the API share its off-loop scan
    app.extensions["relay"].offload = lambda fn: off_loop(fn, what="the dashboard")
    app.register_blueprint(bp)
