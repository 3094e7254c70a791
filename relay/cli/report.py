"""`relay report daily|weekly|monthly|session|blocks`: ccusage's reports, columns and JSON shapes,
read from the session index instead of re-parsing every file on every run.

The index is brought up to date first (only changed files are read). Days are those of
`--timezone` (the system zone by default, as ccusage's). Prices are relay's: 1-hour cache writes
cost 2x base input where ccusage charges 1.25x (see the README).
"""
import csv
import io
import time

import click

from relay import times
from relay.cli.output import emit_json, guarded, progress_bar
from relay.costs import prices, quota, reports, series
from relay.present import format as fmt_
from relay.present import reports as view
from relay.store import user_store
from relay.tui import blocks as live_view

HEAD = ("Models", "Input", "Output", "Cache Create", "Cache Read", "Total Tokens", "Cost (USD)")
TOKEN_KEYS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
KINDS = {"daily": "day", "weekly": "week", "monthly": "month", "session": "session"}


def _text_table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths))
                      ).rstrip() for row in rows]


def _md_table(rows):
    def cell(value):
        return str(value).replace("|", "\\|")
    align = ["---" if i < 2 else "---:" for i in range(len(rows[0]))]
    return ["| " + " | ".join(map(cell, row)) + " |" for row in (rows[0], align, *rows[1:])]


def _label(kind, row, locale):
    key = view.LABELS[kind]
    return row[key] if kind in ("session", "monthly") else fmt_.calendar(row[key], locale)


def _tokens(row, locale):
    total = sum(row[k] for k in TOKEN_KEYS)
    return tuple(fmt_.number(row[k], locale) for k in TOKEN_KEYS) + (fmt_.number(total, locale),)


def _display_rows(kind, payload, breakdown, locale):
    """Header, rows and the total line of the text and Markdown tables."""
    session = kind == "session"
    head = ({"daily": "Date", "weekly": "Week", "monthly": "Month", "session": "Session"}[kind],) + HEAD + (
        ("Last Activity", "Project") if session else ())
    pad = ("", "") if session else ()
    rows, section = [head], None
    for name, r in view.report_rows(kind, payload):
        if name is not None and name != section:
            section = name
            rows.append((f"Project: {name}", "", "", "", "", "", "", "") + pad)
        rows.append((_label(kind, r, locale), ", ".join(r["modelsUsed"]), *_tokens(r, locale),
                     fmt_.money(r["totalCost"], locale))
                    + ((fmt_.calendar(r["lastActivity"], locale), r["projectPath"]) if session else ()))
        if breakdown:
            for b in r["modelBreakdowns"]:
                rows.append(("  └─ " + b["modelName"], "", *_tokens(b, locale), fmt_.money(b["cost"], locale)) + pad)
    t = payload["totals"]
    rows.append(("Total", "", *_tokens(t, locale), fmt_.money(t["totalCost"], locale)) + pad)
    return rows


def _csv_rows(kind, payload, breakdown):
    """One row per group (per group and model with --breakdown, so the rows still add up), ccusage's
    JSON names as columns and plain numbers, for spreadsheets."""
    label = view.LABELS[kind]
    instances = "projects" in payload
    head = [label] + (["project"] if instances else []) + (
        ["lastActivity", "projectPath"] if kind == "session" else []) + (
        ["model"] if breakdown else ["modelsUsed"]) + [*TOKEN_KEYS, "totalTokens", "totalCost"]
    out = [head]
    for name, r in view.report_rows(kind, payload):
        lead = [r[label]] + ([name] if instances else []) + (
            [r["lastActivity"], r["projectPath"]] if kind == "session" else [])
        parts = [(b["modelName"], b, b["cost"]) for b in r["modelBreakdowns"]] if breakdown else [
            (", ".join(r["modelsUsed"]), r, r["totalCost"])]
        for model, counts, cost in parts:
            out.append(lead + [model] + [counts[k] for k in TOKEN_KEYS] + [sum(counts[k] for k in TOKEN_KEYS), cost])
    return out


def _csv(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().rstrip("\n")


def _notes(relay):
    lines = []
    if relay["unpricedModels"]:
        lines.append(f"unpriced (tokens counted, no dollars): {', '.join(relay['unpricedModels'])}")
    zone = f"days in {relay['timezone']}; " if relay.get("timezone") else ""
    lines.append(f"{zone}prices of {relay['pricesDate']}; 1-hour cache writes at 2x input (ccusage: 1.25x)")
    return lines


def _print(kind, payload, fmt, breakdown, locale):
    if fmt == "json":
        emit_json(payload)
    elif fmt == "csv":
        click.echo(_csv(_csv_rows(kind, payload, breakdown)))
    elif fmt == "md":
        click.echo("\n".join(_md_table(_display_rows(kind, payload, breakdown, locale))))
        click.echo("\n" + "  \n".join(_notes(payload["relay"])))
    else:
        click.echo("\n".join(_text_table(_display_rows(kind, payload, breakdown, locale)) + _notes(payload["relay"])))


def _block_rows(payload, tz, locale, breakdown):
    rows = [("Block Start", "Duration/Status", "Models", "Tokens", "Cost")]

    def start(b):
        ts = fmt_.epoch(b["startTime"])
        return fmt_.calendar(times.zone_day(ts, tz), locale) + " " + times.zone_clock(ts, tz, "%H:%M %Z")

    for b in payload["blocks"]:
        if b["isGap"]:
            rows.append((start(b), "(inactive)", "-", "-", "-"))
            continue
        rows.append((start(b), "ACTIVE" if b["isActive"] else "", ", ".join(b["models"]) or "-",
                     fmt_.number(b["totalTokens"], locale), fmt_.money(b["costUSD"], locale)))
        if breakdown:
            for model in b["modelBreakdowns"]:
                rows.append(("  └─ " + model["modelName"], "", "", fmt_.number(model["totalTokens"], locale),
                             fmt_.money(model["cost"], locale)))
        if b["projection"]:
            rows.append(("(assuming current burn rate)", "PROJECTED", "",
                         fmt_.number(b["projection"]["totalTokens"], locale),
                         fmt_.money(b["projection"]["totalCost"], locale)))
    return rows


def _block_csv(payload):
    head = ["startTime", "endTime", "actualEndTime", "isActive", "isGap", "entries", "inputTokens", "outputTokens",
            "cacheCreationInputTokens", "cacheReadInputTokens", "totalTokens", "costUSD", "models"]
    out = [head]
    for b in payload["blocks"]:
        out.append([b["startTime"], b["endTime"], b["actualEndTime"] or "", b["isActive"], b["isGap"], b["entries"],
                    *b["tokenCounts"].values(), b["totalTokens"], b["costUSD"], ", ".join(b["models"])])
    return out


def _span(since, until, tz):
    return (None if not since else times.since_ts(since, name="since", tz=tz),
            None if not until else times.since_ts(until, name="until", tz=tz, end=True))


def _options(fn):
    fn = click.option("--provider", type=click.Choice(["claude", "codex", "gemini", "all"]), default="all",
                      show_default=True, help="Whose session files (all CLIs, as ccusage 20).")(fn)
    fn = click.option("-b", "--breakdown", is_flag=True, help="A row per model under each row.")(fn)
    fn = click.option("-p", "--project", default=None, metavar="NAME",
                      help="Only this project: a Claude Code project directory (-home-me-myapp) or a working "
                           "directory.")(fn)
    fn = click.option("-o", "--order", type=click.Choice(["asc", "desc"]), default="asc", show_default=True,
                      help="Oldest first (asc) or newest first (desc).")(fn)
    fn = click.option("-l", "--locale", default=None, metavar="TAG",
                      help="Number and date style of table and md output (en-US, de-DE, ja-JP...); JSON and CSV "
                           "stay plain. Default en-CA: 1,234.56 and 2026-11-23.")(fn)
    fn = click.option("-z", "--timezone", "tz_name", default=None, metavar="ZONE",
                      help="IANA zone whose days group the rows (UTC, Europe/Berlin) [default: the system zone].")(fn)
    fn = click.option("-u", "--until", default=None, metavar="WHEN",
                      help="Last day or time: 20261130, 2026-11-30, an ISO time, or 1d (a day ago).")(fn)
    fn = click.option("-s", "--since", default=None, metavar="WHEN",
                      help="First day or time: 7d, 24h, 20261101, 2026-11-01 or an ISO time.")(fn)
    fn = click.option("-j", "--json", "as_json", is_flag=True, help="Same as --format json (ccusage's JSON).")(fn)
    fn = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "md"]), default="table",
                      show_default=True, help="table, ccusage's JSON, CSV (one row per group) or a Markdown table.")(fn)
    return guarded(fn)


def _providers(provider):
    return reports.PROVIDERS if provider == "all" else (provider,)


@click.group("report")
def command():
    """ccusage-compatible usage reports from the session index (days of --timezone, 5-hour blocks)."""


HELP = {"daily": "Usage and cost per day (of --timezone): tokens by kind, models, dollars (ccusage's daily report).",
        "weekly": "Usage and cost per week, keyed by the day it starts (--start-of-week; ccusage's weekly report).",
        "monthly": "Usage and cost per month (of --timezone; ccusage's monthly report).",
        "session": "Usage and cost per session, with its project and last activity (ccusage's session report)."}


def _grouped(kind):
    # help= because click reads the docstring when the command is made, before it could be set
    @command.command(kind, help=HELP[kind])
    @_options
    def run(fmt, as_json, since, until, tz_name, locale, order, project, breakdown, provider, instances=False,
            start_of_week="sunday"):
        tz = times.zone(tz_name)
        providers = _providers(provider)
        with user_store() as store:
            reports.refresh(store, providers, progress=progress_bar("indexing", enabled=fmt != "json" and not as_json))
            result = reports.aggregate(store, prices.load(), KINDS[kind], providers, tz=tz,
                                       span=_span(since, until, tz), project=project, instances=instances,
                                       start_of_week=start_of_week, order=order)
        _print(kind, view.usage_report(kind, result), "json" if as_json else fmt, breakdown, locale)

    if kind != "session":
        run = click.option("-i", "--instances", is_flag=True,
                           help="Rows per project (ccusage's --instances): a Claude Code project directory, else "
                                "the working directory.")(run)
    if kind == "weekly":
        run = click.option("-w", "--start-of-week", type=click.Choice(times.WEEKDAYS), default="sunday",
                           show_default=True, help="The day a week starts on (ccusage's default: sunday).")(run)
    return run


daily = _grouped("daily")
weekly = _grouped("weekly")
monthly = _grouped("monthly")
session = _grouped("session")


def _quota_windows(conn, now):
    """Each measured quota window with its projection to reset (relay.costs.series), or []."""
    report = quota.report(conn, now)
    if report["source"] != "measured":
        return []
    return series.quota(conn, report, now)


@command.command("blocks")
@_options
@click.option("--live", is_flag=True, help="Keep the active block on screen, refreshed, until Ctrl-C.")
@click.option("--refresh", type=click.FloatRange(min=0.2, max=3600), default=5.0, show_default=True,
              help="Seconds between --live frames.")
@click.option("--frames", type=click.IntRange(min=1), default=None, hidden=True,
              help="Stop --live after this many frames (scripts and tests).")
def blocks(fmt, as_json, since, until, tz_name, locale, order, project, breakdown, provider, live, refresh, frames):
    """Usage and cost per 5-hour block, with the active block's burn rate and projection; --live keeps
    the active block on screen with the measured quota's projection to its reset."""
    tz = times.zone(tz_name)
    providers = _providers(provider)
    span = _span(since, until, tz)
    if live:
        def snapshot():
            now = time.time()
            with user_store() as store:
                reports.refresh(store, providers)
                result = reports.blocks(store, prices.load(), providers, now=now, span=span, project=project)
                windows = store.read(lambda c: _quota_windows(c, now))
            return view.live_block(view.usage_blocks(result), windows, now)

        live_view.run(snapshot, refresh, frames=frames, tz=tz, locale=locale)
        return
    with user_store() as store:
        reports.refresh(store, providers, progress=progress_bar("indexing", enabled=fmt != "json" and not as_json))
        result = reports.blocks(store, prices.load(), providers, span=span, project=project, order=order)
    payload = view.usage_blocks(result, breakdown=breakdown)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        emit_json(payload)
    elif fmt == "csv":
        click.echo(_csv(_block_csv(payload)))
    elif fmt == "md":
        click.echo("\n".join(_md_table(_block_rows(payload, tz, locale, breakdown))))
    else:
        click.echo("\n".join(_text_table(_block_rows(payload, tz, locale, breakdown)) + _notes(payload["relay"])))
