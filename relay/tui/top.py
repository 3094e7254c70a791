"""`relay top`: render(snapshot) -> a rich renderable, a pure function of the snapshot (see
relay.tui.feed for its keys), and the Live loop around it.

Every value from sessions or requests (cwd, model, session ids) goes into rich as Text, never as
markup, so a directory named "[red]x" prints as itself.
"""
import time

from rich.columns import Columns
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from relay import times
from relay.present import format as fmt
from relay.present import terminal
from relay.sessions.attribution import top_server

BAR = 10
PANEL = 38


def _num(value, unit=""):
    if value is None:
        return "-"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}{unit}"
    return f"{value:.0f}{unit}" if float(value).is_integer() else f"{value:.2f}{unit}"


def _usd(value):
    return "unpriced" if value is None else f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def _bar(pct):
    """A fixed-width meter; green under 70 %, yellow under 90 %, red above."""
    if pct is None:
        return Text("n/a", style="dim")
    filled = max(0, min(BAR, round(BAR * pct / 100)))
    style = "green" if pct < 70 else "yellow" if pct < 90 else "red"
    return Text.assemble(("█" * filled, style), ("░" * (BAR - filled), "dim"), f" {pct:5.1f}%")


def _grid(*rows):
    grid = Table.grid(padding=(0, 1))
    # Labels keep their width; long values are the ones cut with an ellipsis.
    grid.add_column(style="bold", no_wrap=True, min_width=max((len(str(label)) for label, _ in rows), default=0))
    grid.add_column(no_wrap=True, overflow="ellipsis")
    for label, value in rows:
        grid.add_row(label, value if isinstance(value, Text) else Text(str(value)))
    return grid


def _when(ts):
    return "-" if not ts else times.local_clock(ts, "%H:%M:%S")


def _header(snap):
    live = snap["source"] == "live"
    head = Text.assemble(("relay top", "bold"), "  ",
                         ("● live " if live else "○ database ", "green" if live else "yellow"),
                         Text(str(snap["where"])), "  ", _when(snap["taken_at"]))
    if snap.get("note"):
        head.append("\n")
        head.append(Text(snap["note"], style="yellow"))
    return head


def _traffic(snap):
    r, s = snap["rates"], snap["summary"]
    rows = [("req/s", f"{r['requests_per_s']:.2f}"), ("tok/s", _num(r["tokens_per_s"]))]
    rows += [(kind.replace("_", " "), _num(n)) for kind, n in r["tokens"].items()]
    rows += [("errors", r["in_window_errors"]), ("in flight", s.get("in_flight", 0)),
             ("today", f"{s.get('requests_today', 0)} req")]
    return Panel(_grid(*rows), title=f"traffic · last {r['window_s']}s", border_style="cyan")


def _money(snap):
    s = snap["summary"]
    rows = [("cost today", _usd(s.get("cost_today"))),
            ("cache hit", _bar(s.get("cache_hit_pct"))),
            ("errors 1h", f"{s.get('errors_1h', 0)} of {s.get('requests_1h', 0)}"
             + ("" if s.get("error_rate_pct") is None else f" ({s['error_rate_pct']}%)"))]
    for m in (s.get("cost_by_model") or [])[:3]:
        rows.append(("", Text(f"{m['model'] or '?'} {_usd(m['cost'])} · {m['requests']} req", style="dim")))
    if s.get("unpriced"):
        rows.append(("unpriced", Text(", ".join(s["unpriced"]), style="yellow")))
    return Panel(_grid(*rows), title="cost · cache · errors", border_style="magenta")


def _quota(snap):
    q = snap["quota"]
    if not q.get("windows"):
        return Panel(Text("not measured yet", style="dim"), title="quota", border_style="blue")
    rows = []
    for w in q["windows"]:
        rows.append((w["name"], _bar(w.get("used_pct"))))
        when = fmt.epoch(w.get("reset"))
        if when:   # relative, with the date when not today: a bare "20:48Z" read as already past
            rows.append(("", Text(f"↻ {fmt.reset_in(when, snap.get('taken_at'))}", style="dim")))
    return Panel(_grid(*rows), title=f"quota ({q.get('source') or '?'})", border_style="blue")


TIER_STYLE = {"ok": "green", "notice": "cyan", "warn": "yellow", "critical": "bold red"}


def _tier(name, value=None, suffix=""):
    text = Text(name, style=TIER_STYLE.get(name, ""))
    if value is not None:
        text.append(f" {value:.1f}%{suffix}")
    return text


def _guard(snap):
    """The guard section of views.dashboard: each zone's tier and value, the fullest sessions and
    the latest alerts (none when it was replayed from the database)."""
    guard = snap["guard"]
    if not guard.get("available"):
        return Panel(Text("not available", style="dim"), title="guard", border_style="red")
    q = guard["quota"]
    rows = [("quota", _tier(guard["zones"]["quota"], q.get("value_pct"), f" {q['window']}" if q.get("window") else "")),
            ("context", _tier(guard["zones"]["context"]))]
    for s in guard["sessions"][:3]:
        rows.append(("", Text.assemble(_tier(s["tier"], s.get("value_pct")), " ",
                                       Text((s.get("session_id") or "-")[:14], style="dim"))))
    for a in guard["alerts"][-3:][::-1]:
        rows.append((a["zone"], Text.assemble(Text(f"#{a['id']} ", style="dim"), _tier(a["from"]), " → ",
                                              _tier(a["to"], a.get("value_pct")))))
    title = "guard" if guard.get("source") != "database" else "guard (replayed)"
    return Panel(_grid(*rows), title=title, border_style="red")


def _sessions(snap):
    empty = "no running CLI and no recent proxied session" if not snap["sessions"] else None
    table = Table(title="sessions", title_justify="left", expand=True, caption=empty, caption_justify="left")
    for name, justify in (("cli", "left"), ("pid", "right"), ("via", "left"), ("session", "left"),
                          ("context", "right"), ("turns", "right"), ("snr", "right"), ("cache hit", "right"),
                          ("top mcp", "left"), ("dup reads", "left"), ("cwd", "left")):
        table.add_column(name, justify=justify, overflow="ellipsis", no_wrap=True)
    for s in snap["sessions"]:
        context = "-" if s.get("context_pct") is None else f"{s['context_pct']}%"
        if s.get("context_tokens") is not None and s.get("context_window"):
            context += f" {_num(s['context_tokens'])}/{_num(s['context_window'])}"
        table.add_row(Text(s.get("cli") or "?", style="bold" if s.get("alive") else "dim"),
                      Text(str(s.get("pid") or "-")), Text("+".join(s.get("connection") or []) or "-"),
                      Text((s.get("session_id") or "-")[:18]), Text(context), Text(str(s.get("turns") or "-")),
                      Text("-" if s.get("snr") is None else f"{s['snr']:.2f}"),
                      Text("-" if s.get("cache_hit_pct") is None else f"{s['cache_hit_pct']}%"),
                      Text(top_server(s.get("mcp_window")) or "-"), _duplicates(s.get("duplicate_reads")),
                      Text(s.get("cwd") or "-"))
    return table


def _duplicates(found):
    """"2× app.py (+1.2k tok)": the most repeated file, how often it was read, the tokens wasted."""
    if not found:
        return Text("-", style="dim")
    if not found.get("files"):
        return Text("none", style="dim")
    top = found["files"][0]
    name = top["path"].rsplit("/", 1)[-1]
    more = f" +{len(found['files']) - 1} files" if len(found["files"]) > 1 else ""
    return Text(f"{top['reads']}× {name} ({_num(top['tokens'])} tok){more}", style="yellow")


def _recent(snap):
    table = Table(title="recent requests", title_justify="left", expand=True)
    for name, justify in (("time", "left"), ("model", "left"), ("status", "right"), ("tokens", "right"),
                          ("ms", "right"), ("outcome", "left")):
        table.add_column(name, justify=justify, overflow="ellipsis", no_wrap=True)
    for e in snap["recent"]:
        tokens = sum(e.get(k) or 0 for k in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                                             "cache_creation_input_tokens"))
        outcome = e.get("outcome") or "streaming"
        table.add_row(Text(_when(e.get("ts"))), Text(e.get("model") or "-"), Text(str(e.get("status") or "-")),
                      Text(_num(tokens)), Text("-" if e.get("duration_ms") is None else f"{e['duration_ms']:.0f}"),
                      Text(outcome,
                           style="green" if outcome == "ok" else "yellow" if outcome == "streaming" else "red"))
    return table


def render(snapshot):
    """The whole screen for one snapshot."""
    snapshot = terminal.safe_tree(snapshot)     # session text may hold escape sequences
    # Columns flows the panels onto more lines in a narrow terminal instead of squeezing them.
    panels = Columns([_traffic(snapshot), _money(snapshot), _quota(snapshot), _guard(snapshot)], width=PANEL)
    return Group(_header(snapshot), panels, _sessions(snapshot), _recent(snapshot))


def run(feed, refresh, console, once=False):
    """Print one frame (once) or keep a Live view, redrawn every `refresh` seconds or when the
    feed reports an event, until Ctrl-C."""
    from rich.live import Live
    if once:
        console.print(render(feed.snapshot()))
        return
    with Live(render(feed.snapshot()), console=console, screen=False, auto_refresh=False) as live:
        try:
            while True:
                feed.wait(refresh)
                live.update(render(feed.snapshot()), refresh=True)
                time.sleep(0.1)   # coalesce a burst of events into one frame
        except KeyboardInterrupt:
            pass
