"""Server-rendered pages over the same view data (relay.present) as the API; readable without
JavaScript. Live pages (data-live on <body>) load static/live.js, which swaps in the fragments
relay.web.stream renders from the very same partials."""
from flask import Blueprint, current_app, has_request_context, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from relay import times
from relay.errors import RelayError
from relay.present import charts, exchanges, format, live
from relay.present import dashboard as dashboard_view
from relay.present import history as history_view
from relay.present import team as team_view
from relay.store import queries
from relay.web import i18n
from relay.web.offload import offloaded

bp = Blueprint("pages", __name__)


@bp.app_template_filter("timestamp")
def timestamp(value):
    return times.local_clock(value)


@bp.app_template_filter("when")
def when(value):
    """A time relative to now ("5 min ago", "in 2 d 4 h") with the absolute UTC time on hover."""
    ts = format.epoch(value)
    if ts is None:
        return "—"
    iso = times.iso(ts)
    return Markup(f'<time datetime="{escape(iso)}" title="{escape(iso)} UTC · {escape(times.local_clock(ts))} local">'
                  f"{escape(format.relative(ts))}</time>")


@bp.app_template_filter("num")
def num(value):
    return format.thousands(value)


@bp.app_template_filter("compact")
def compact(value):
    return format.compact_number(value)


@bp.app_template_filter("chart_svg")
def chart_svg(chart):
    return charts.geometry(chart)


def request_lang():
    """RELAY_LANG unless "auto", else the browser's Accept-Language."""
    return i18n.choose(current_app.extensions["relay"].settings.lang, request.headers.get("Accept-Language"))


@bp.app_context_processor
def translations():
    if not has_request_context():
        return {}   # SSE fragments rendered off the request pass lang and t themselves
    lang = request_lang()
    return {"lang": lang, "t": i18n.translator(lang)}


@bp.get("/")
@offloaded("the start page")
def index():
    ctx = current_app.extensions["relay"]
    counts = ctx.store.read(queries.counts)
    return render_template("index.html", health=exchanges.health(ctx, counts), requests=exchanges.requests(ctx))


@bp.get("/dashboard/")
def dashboard():
    ctx = current_app.extensions["relay"]
    period, person = request.args.get("since") or team_view.DEFAULT_PERIOD, request.args.get("user") or None
    team = team_view.section(ctx, period, person)
    return render_template("dashboard.html", live_page="dashboard", live_minutes=live.LIVE_MINUTES,
                           team=team, team_period=period, team_person=person, team_periods=team_view.PERIODS,
                           team_people=team.get("choices", []), **dashboard_view.dashboard(ctx))


@bp.get("/display/")
@offloaded("the live sessions")
def display():
    return render_template("display.html", live_page="display", **live.display(current_app.extensions["relay"]))


@bp.get("/history/")
@offloaded("the history")
def history():
    return render_template("history.html", sessions=history_view.sessions(current_app.extensions["relay"]))


@bp.get("/history/<session_id>")
@offloaded("the session's history")
def history_session(session_id):
    replay = history_view.session(current_app.extensions["relay"], session_id)
    if replay is None:
        raise RelayError(f"no captured history for session {session_id!r}", status=404)
    return render_template("history_session.html", replay=replay)


@bp.get("/history/<session_id>/")
def history_session_slash(session_id):
    """A trailing slash (a hand-typed or pasted link) goes to the session page."""
    return redirect(url_for("pages.history_session", session_id=session_id), code=308)


@bp.get("/history/<session_id>/<int:turn>")
@offloaded("the turn")
def history_turn(session_id, turn):
    replay = history_view.turn(current_app.extensions["relay"], session_id, turn)
    if replay is None:
        raise RelayError(f"no captured turn {turn} in session {session_id!r}", status=404)
    return render_template("history_turn.html", replay=replay)
