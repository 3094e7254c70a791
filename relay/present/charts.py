"""Charts as data and as SVG geometry, drawn by the server.

`dashboard_charts(ctx)` gathers the dashboard's series (the JSON twin /api/v1/charts and the
`charts` key of /api/v1/dashboard); `geometry(chart)` turns one chart into marks (rects, polylines,
circles, marker lines with their labels) that templates/_partials/chart.html writes out as SVG.
Server-drawn SVG needs no script (the CSP stays 'self', pages read without JavaScript) and each
mark carries its series and value (data-series, data-v), so a test can check a drawing against
its twin. A chart is pure data in, marks out: no Flask, no I/O.
"""
import math
import time

from relay import times
from relay.costs import prices, series
from relay.costs import quota as quota_service
from relay.costs.prices import KINDS
from relay.present.format import compact_number, relative

HOUR, DAY = 3600, 86400
W, H = 640, 200                   # the viewBox; CSS scales it to the column
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 10, 22
HISTORY_PARTS = ("system_prompt", "tool_schemas", "system", "user_text", "assistant_text", "tool_use",
                 "tool_result", "thinking_overhead")


def _hour_floor(ts):
    return ts - ts % HOUR


def _day_floor(ts):
    return ts - ts % DAY        # UTC midnight: the day buckets are UTC dates, like `relay report daily`


def _bars(chart_id, unit, x, step, named):
    return {"id": chart_id, "type": "bars", "unit": unit, "step": step, "x": x,
            "series": [{"name": n, "values": v} for n, v in named]}


def cost_chart(conn, table, chart_id, start, step, count):
    data = series.cost(conn, table, start, step, count)
    chart = _bars(chart_id, "usd", series.buckets(start, step, count), step,
                  [(m, [round(v, 6) for v in data["cost"][m]]) for m in data["models"]])
    chart["unpriced"] = data["unpriced"]
    return chart


def gather(conn, now, table=None, quota_report=None):
    """Every dashboard chart over one read connection, at `now`."""
    table = table or prices.load()
    hour0 = _hour_floor(now) - 47 * HOUR
    day0 = _day_floor(now) - 29 * DAY
    tokens = series.tokens(conn, hour0, HOUR, 48)
    rates = series.hit_and_error_rates(conn, hour0, HOUR, 48)
    report = quota_report if quota_report is not None else quota_service.report(conn, now=now)
    hours = series.buckets(hour0, HOUR, 48)
    return {
        "generated_at": times.iso(now),
        "cost_hourly": cost_chart(conn, table, "cost_hourly", hour0, HOUR, 48),
        "cost_daily": cost_chart(conn, table, "cost_daily", day0, DAY, 30),
        "tokens": _bars("tokens", "tokens", hours, HOUR, [(k, tokens[k]) for k in KINDS]),
        "rates": {"id": "rates", "type": "lines", "unit": "pct", "step": HOUR, "x": hours,
                  "series": [{"name": "cache_hit_pct", "values": rates["cache_hit_pct"]},
                             {"name": "error_pct", "values": rates["error_pct"]}],
                  "requests": rates["requests"]},
        "quota": {"id": "quota", "type": "quota", "unit": "pct",
                  "windows": [{**w, "type": "quota_window"} for w in series.quota(conn, report, now)]},
    }


def dashboard_charts(ctx, now=None):
    now = time.time() if now is None else now
    return ctx.store.read(lambda c: gather(c, now))


# --- geometry ---------------------------------------------------------------------------------

def nice_max(value):
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above `value` (an axis top); 1 for nothing."""
    if not value or value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-12:
            return step * power
    return 10 * power


def label(value, unit):
    if value is None:
        return "—"
    if unit == "usd":
        return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.4f}".rstrip("0")
    if unit == "pct":
        return f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%"
    return compact_number(value)


def _x_label(ts, step):
    return times.utc_day(ts)[5:] if step >= DAY else times.local_clock(ts, "%H:%M")


def _frame(top, unit):
    """Horizontal grid lines with their labels at 0, half and the top of the axis."""
    plot_h = H - TOP - BOTTOM
    return [{"y": round(TOP + plot_h * (1 - f), 1), "label": label(top * f, unit)} for f in (0, 0.5, 1)]


def _y(value, top):
    return round(TOP + (H - TOP - BOTTOM) * (1 - value / top), 2)


def _categorical(count, labels, every):
    """x of each slot's centre, slot width, and axis labels every `every` slots."""
    plot_w = W - LEFT - RIGHT
    slot = plot_w / max(count, 1)
    centres = [round(LEFT + slot * (i + 0.5), 2) for i in range(count)]
    ticks = [{"x": centres[i], "label": labels[i], "anchor": "middle"} for i in range(0, count, max(every, 1))]
    return centres, slot, ticks


def bars_and_lines(labels, titles, bars, lines=(), unit="", line_unit=None, markers=(), fixed_top=None, every=6):
    """Marks for stacked bars (`bars`: [(series, values)]) and lines over the same slots; one y
    axis unless `line_unit` differs (then lines use 0-100). `markers`: [(slot, class, label)]."""
    count = len(labels)
    centres, slot, ticks = _categorical(count, labels, every)
    totals = [sum(v[i] or 0 for _, v in bars) for i in range(count)]
    line_max = max((v or 0 for _, vs in lines for v in vs), default=0) if line_unit is None else 0
    top = fixed_top or nice_max(max([*totals, line_max, 0]))
    rects = []
    for i in range(count):
        base = 0.0
        for s, (name, values) in enumerate(bars):
            value = values[i] or 0
            if value <= 0:
                continue
            y1, y0 = _y(base + value, top), _y(base, top)
            rects.append({"series": name, "index": s, "slot": i, "value": value, "x": round(centres[i] - slot * 0.4, 2),
                          "y": y1, "w": round(slot * 0.8, 2), "h": round(max(y0 - y1, 0.5), 2),
                          "title": f"{name} · {titles[i]} · {label(value, unit)}"})
            base += value
    line_top = 100.0 if line_unit == "pct" else top
    polylines = []
    for s, (name, values) in enumerate(lines):
        dots = [{"series": name, "slot": i, "value": v, "x": centres[i], "y": _y(v, line_top),
                 "title": f"{name} · {titles[i]} · {label(v, line_unit or unit)}"}
                for i, v in enumerate(values) if v is not None]
        polylines.append({"series": name, "index": s, "segments": _segments(dots), "dots": dots})
    marks = [{"x": round(centres[i] - slot / 2, 2), "class": cls, "label": text}
             for i, cls, text in markers if 0 <= i < count]
    return {"width": W, "height": H, "left": LEFT, "right": W - RIGHT, "top": TOP, "bottom": H - BOTTOM,
            "grid": _frame(line_top if not bars else top, unit if bars else (line_unit or unit)),
            "ticks": ticks, "rects": rects, "lines": polylines, "markers": marks, "empty": not rects and not any(
                p["dots"] for p in polylines)}


def _segments(dots):
    """Polyline point lists of consecutive slots: a bucket without data breaks the line instead of
    drawing a slope across hours nobody measured."""
    runs = []
    for d in dots:
        if runs and d["slot"] == runs[-1][-1]["slot"] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return [" ".join(f"{d['x']},{d['y']}" for d in run) for run in runs if len(run) > 1]


def _anchor(ticks):
    """The first axis label starts at its tick and the last ends at it, so neither is cut."""
    for i, tick in enumerate(ticks):
        tick["anchor"] = "start" if i == 0 else "end" if i == len(ticks) - 1 and len(ticks) > 1 else "middle"
    return ticks


def time_chart(chart):
    """Geometry of a dashboard bars or lines chart (cost, tokens, rates)."""
    step = chart["step"]
    labels = [_x_label(ts, step) for ts in chart["x"]]
    titles = [times.utc_day(ts) if step >= DAY else times.iso(ts) for ts in chart["x"]]
    named = [(s["name"], s["values"]) for s in chart["series"]]
    every = 5 if step >= DAY else 6
    if chart["type"] == "lines":
        return bars_and_lines(labels, titles, [], named, unit=chart["unit"], line_unit="pct", every=every)
    return bars_and_lines(labels, titles, named, unit=chart["unit"], every=every)


def quota_chart(window, now=None):
    """Geometry of one quota window: utilization over time on a time axis, past resets, the next
    reset and the dashed projection to it, 100 % drawn as the limit."""
    now = window["now"] if now is None else now
    start, end = window["start"], max(window["end"], window["start"] + 1)
    projection = window["projection"]
    highest = max([p[1] for p in window["points"]] + [projection["pct"] if projection else 0, 100])
    top = nice_max(highest)
    plot_w = W - LEFT - RIGHT

    def x(ts):
        return round(LEFT + plot_w * (min(max(ts, start), end) - start) / (end - start), 2)

    dots = [{"series": window["name"], "value": u, "ts": t, "x": x(t), "y": _y(u, top),
             "title": f"{window['name']} · {times.iso(t)} · {label(u, 'pct')}"} for t, u in window["points"]]
    markers = [{"x": x(r), "class": "reset", "label": "", "title": f"reset {times.iso(r)}"} for r in window["resets"]]
    if window["next_reset"] and window["next_reset"] >= now:
        markers.append({"x": x(window["next_reset"]), "class": "next-reset",
                        "label": relative(window["next_reset"], now),
                        "title": f"next reset {times.iso(window['next_reset'])}"})
    markers.append({"x": x(now), "class": "now", "label": "", "title": times.iso(now)})
    proj = None
    if projection:
        proj = {"x1": x(projection["from_ts"]), "y1": _y(projection["from_pct"], top), "x2": x(projection["ts"]),
                "y2": _y(projection["pct"], top), "value": projection["pct"],
                "title": f"projected {label(projection['pct'], 'pct')} at reset"}
    span = end - start
    ticks = _anchor([{"x": x(start + span * f), "label": _x_label(start + span * f, HOUR if span < 3 * DAY else DAY)}
                     for f in (0, 0.25, 0.5, 0.75, 1)])
    return {"width": W, "height": H, "left": LEFT, "right": W - RIGHT, "top": TOP, "bottom": H - BOTTOM,
            "grid": _frame(top, "pct"), "limit_y": _y(100, top), "ticks": ticks, "rects": [],
            "lines": [{"series": window["name"], "index": 0,
                       "segments": [" ".join(f"{d['x']},{d['y']}" for d in dots)] if len(dots) > 1 else [],
                       "dots": dots}],
            "markers": markers, "projection": proj, "empty": not dots}


def geometry(chart):
    """Marks for any chart this module builds (a template filter calls it)."""
    if chart.get("type") == "quota_window":
        return quota_chart(chart)
    if chart.get("type") == "context":
        return context_chart(chart)
    return time_chart(chart)


# --- history: context growth per turn -------------------------------------------------------------

def context_growth(turns):
    """The session page's chart: per turn the tokens in the window by category (the captured
    request's composition), the cache write the provider measured, and the compactions. The turn
    right after a compaction is flagged: its cache write is the re-cache of the new, shorter prompt."""
    compacted = [i for i, t in enumerate(turns) if t.get("compaction")]
    return {"id": "context", "type": "context", "unit": "tokens",
            "turns": [t["index"] for t in turns],
            "series": [{"name": part, "values": [((t.get("composition") or {}).get("tokens") or {}).get(part, 0)
                                                 for t in turns]} for part in HISTORY_PARTS],
            "cache_write": [t["tokens"]["cache_creation"] for t in turns],
            "compactions": [turns[i]["index"] for i in compacted],
            "spikes": [turns[i]["index"] for i in compacted],
            "breaks": [{"turn": t["index"], "label": t["cache_break"]["label"]} for t in turns if t.get("cache_break")]}


def context_chart(chart):
    labels = [str(n) for n in chart["turns"]]
    bars = [(s["name"], s["values"]) for s in chart["series"]]
    slot_of = {n: i for i, n in enumerate(chart["turns"])}
    markers = [(slot_of[n], "compaction", "compaction") for n in chart["compactions"]]
    markers += [(slot_of[b["turn"]], "cache-break", b["label"]) for b in chart.get("breaks") or []]
    every = max(1, math.ceil(len(labels) / 12))
    geo = bars_and_lines(labels, [f"turn {n}" for n in chart["turns"]], bars,
                         [("cache_write", chart["cache_write"])], unit="tokens", markers=markers, every=every)
    spikes = {slot_of[n] for n in chart["spikes"]}
    for dot in geo["lines"][0]["dots"] if geo["lines"] else []:
        dot["spike"] = dot["slot"] in spikes
    return geo
