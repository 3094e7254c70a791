"""Server-rendered pages over the same queries and presenters as the API."""
import datetime

from flask import Blueprint, current_app, render_template

from relay.store import queries
from relay.web import presenters

bp = Blueprint("pages", __name__)


@bp.app_template_filter("timestamp")
def timestamp(value):
    return datetime.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")


@bp.get("/")
def index():
    ctx = current_app.extensions["relay"]
    rows = ctx.store.read(lambda c: queries.list_exchanges(c, limit=50))
    counts = ctx.store.read(queries.counts)
    health = presenters.health(ctx, counts)
    return render_template("index.html", health=health, requests=[presenters.exchange(r) for r in rows])
