"""`relay report daily|monthly|session|blocks`: ccusage's reports, columns and `--json` shapes,
read from the session index instead of re-parsing every file on every run.

The index is brought up to date first (only changed files are read). Prices are relay's: 1-hour
cache writes cost 2x base input where ccusage charges 1.25x (see the README).
"""
import click

from relay.cli.output import emit_json, guarded, progress_bar
from relay.costs import prices, reports
from relay.present import reports as view
from relay.store import user_store

HEAD = ("Models", "Input", "Output", "Cache Create", "Cache Read", "Total Tokens", "Cost (USD)")


def _n(value):
    return f"{value:,}"


def _usd(value):
    return f"${value:,.2f}"


def _table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w)
                             for i, (v, w) in enumerate(zip(row, widths))).rstrip())


def _group_rows(payload, label_key, breakdown, extra=None):
    kind = next(k for k in ("daily", "monthly", "sessions") if k in payload)
    head = (label_key.capitalize() if label_key != "sessionId" else "Session",) + HEAD + ((extra[0],) if extra else ())
    rows = [head]
    for r in payload[kind]:
        rows.append((r[label_key], ", ".join(r["modelsUsed"]), _n(r["inputTokens"]), _n(r["outputTokens"]),
                     _n(r["cacheCreationTokens"]), _n(r["cacheReadTokens"]), _n(r["totalTokens"]),
                     _usd(r["totalCost"])) + ((r[extra[1]],) if extra else ()))
        if breakdown:
            for b in r["modelBreakdowns"]:
                total = b["inputTokens"] + b["outputTokens"] + b["cacheCreationTokens"] + b["cacheReadTokens"]
                rows.append(("  └─ " + b["modelName"], "", _n(b["inputTokens"]), _n(b["outputTokens"]),
                             _n(b["cacheCreationTokens"]), _n(b["cacheReadTokens"]), _n(total), _usd(b["cost"]))
                            + (("",) if extra else ()))
    t = payload["totals"]
    rows.append(("Total", "", _n(t["inputTokens"]), _n(t["outputTokens"]), _n(t["cacheCreationTokens"]),
                 _n(t["cacheReadTokens"]), _n(t["totalTokens"]), _usd(t["totalCost"])) + (("",) if extra else ()))
    _table(rows)
    _notes(payload["relay"])


def _notes(relay):
    if relay["unpricedModels"]:
        click.echo(f"unpriced (tokens counted, no dollars): {', '.join(relay['unpricedModels'])}")
    click.echo(f"prices of {relay['pricesDate']}; 1-hour cache writes at 2x input (ccusage: 1.25x)")


def _blocks_plain(payload):
    rows = [("Block Start", "Duration/Status", "Models", "Tokens", "Cost")]
    for b in payload["blocks"]:
        if b["isGap"]:
            rows.append((b["startTime"][:16].replace("T", " ") + " UTC", "(inactive)", "-", "-", "-"))
            continue
        status = "ACTIVE" if b["isActive"] else ""
        rows.append((b["startTime"][:16].replace("T", " ") + " UTC", status, ", ".join(b["models"]) or "-",
                     _n(b["totalTokens"]), _usd(b["costUSD"])))
        if b["projection"]:
            rows.append(("(assuming current burn rate)", "PROJECTED", "", _n(b["projection"]["totalTokens"]),
                         _usd(b["projection"]["totalCost"])))
    _table(rows)
    _notes(payload["relay"])


def _options(fn):
    fn = click.option("--json", "as_json", is_flag=True, help="ccusage's JSON output.")(fn)
    fn = click.option("--since", default=None, metavar="YYYYMMDD", help="First UTC day to include.")(fn)
    fn = click.option("--until", default=None, metavar="YYYYMMDD", help="Last UTC day to include.")(fn)
    fn = click.option("--breakdown", is_flag=True, help="A row per model under each row.")(fn)
    fn = click.option("--provider", type=click.Choice(["claude", "codex", "gemini", "all"]),
                      default="claude", show_default=True, help="Whose session files.")(fn)
    return guarded(fn)


def _run(kind, since, until, provider, as_json=False):

    since_day, until_day = reports.day_arg(since, "since"), reports.day_arg(until, "until")
    providers = reports.PROVIDERS if provider == "all" else (provider,)
    with user_store() as store:
        reports.refresh(store, providers, progress=progress_bar("indexing", enabled=not as_json))
        table = prices.load()
        if kind == "blocks":
            return reports.blocks(store, table, providers, since_day, until_day)
        return reports.aggregate(store, table, {"daily": "day", "monthly": "month", "session": "session"}[kind],
                                 providers, since_day, until_day)


@click.group("report")
def command():
    """ccusage-compatible usage reports from the session index (UTC days, 5-hour blocks)."""


HELP = {"daily": "Usage and cost per UTC day: tokens by kind, models, dollars (ccusage's daily report).",
        "monthly": "Usage and cost per UTC month (ccusage's monthly report).",
        "session": "Usage and cost per session, with its project and last activity (ccusage's session report)."}


def _grouped(kind, label, extra=None):
    # help= because click reads the docstring when the command is made, before it could be set
    @command.command(kind, help=HELP[kind])
    @_options
    def run(as_json, since, until, breakdown, provider):
        payload = view.usage_report(kind, _run(kind, since, until, provider, as_json))
        if as_json:
            emit_json(payload)
        else:
            _group_rows(payload, label, breakdown, extra)
    return run


daily = _grouped("daily", "date")
monthly = _grouped("monthly", "month")
session = _grouped("session", "sessionId", extra=("Last Activity", "lastActivity"))


@command.command("blocks")
@_options
def blocks(as_json, since, until, breakdown, provider):
    """Usage and cost per 5-hour block (UTC), with the active block's burn rate and projection."""
    payload = view.usage_blocks(_run("blocks", since, until, provider, as_json))
    if as_json:
        emit_json(payload)
    else:
        _blocks_plain(payload)
