"""`relay history list|show`: the requests captured with `relay serve --history`."""
import click

from relay.cli.output import emit, format_option, guarded, rich_table
from relay.errors import RelayError
from relay.present import cache as cache_view
from relay.present import history as view
from relay.present.context import Context
from relay.store import history_queries, user_store


@click.group("history")
def command():
    """Captured requests and responses (enable with `relay serve --history`)."""


def _read(fn):
    with user_store() as store:
        return store.read(fn)


@command.command("list")
@format_option()
@guarded
def list_(fmt):
    """Sessions with captured turns, newest first."""
    rows = _read(history_queries.list_history_sessions)
    emit({"ok": True, "sessions": rows}, fmt, _plain_list, _rich_list)


LIST_COLUMNS = ("session_id", "turns", "full_snapshots", "compactions", "max_est_tokens")


def _plain_list(payload):
    if not payload["sessions"]:
        click.echo("No history captured yet. Start relay with --history (or RELAY_HISTORY=1).")
        return
    click.echo(f"{'session':<38} {'turns':>6} {'full':>5} {'compactions':>11} {'max tokens':>10}")
    for r in payload["sessions"]:
        click.echo(f"{r['session_id']:<38} {r['turns']:>6} {r['full_snapshots']:>5} {r['compactions']:>11} "
                   f"{r['max_est_tokens']:>10}")


def _rich_list(payload):
    from rich.console import Console
    table = rich_table("relay history", [c if i == 0 else (c, "right") for i, c in enumerate(LIST_COLUMNS)])
    for r in payload["sessions"]:
        table.add_row(*(str(r[c]) for c in LIST_COLUMNS))
    Console().print(table)


@command.command("show")
@click.argument("session")
@click.option("--turn", type=int, default=None, help="Rebuild this turn's request and show it with its response.")
@format_option()
@guarded
def show(session, turn, fmt):
    """A session's turns, or one turn's request (messages summarised) and response."""

    def load(conn):
        if not history_queries.has_session(conn, session):
            raise RelayError(f"no captured history for session {session!r}", hint="see `relay history list`")
        turns = history_queries.list_turns(conn, session)
        if turn is None:
            return {"ok": True, "session_id": session, "turns": [view.history_turn(t) for t in turns],
                    "compactions": history_queries.list_compactions(conn, session)}
        row = next((t for t in turns if t["turn"] == turn), None)
        if row is None:
            raise RelayError(f"session {session!r} has no turn {turn}", hint=f"turns are 0 to {len(turns) - 1}")
        return {"ok": True, "session_id": session,
                "request": view.history_request(row, history_queries.request_body(conn, session, turn),
                                                      history_queries.response(conn, session, turn))}
    payload = _read(load)
    if turn is None:
        emit(payload, fmt, _plain_turns, _rich_turns)
    else:
        emit(payload, fmt, _plain_request, _plain_request)


TURN_COLUMNS = ("index", "kind", "reason", "message_count", "body_bytes", "estimated", "measured")


def _turn_values(t):
    return [str(t[c]) if c not in ("estimated", "measured") else str(t["tokens"][c]) for c in TURN_COLUMNS]


def _plain_turns(payload):
    click.echo(f"{'turn':>5} {'kind':<6} {'reason':<9} {'messages':>8} {'bytes':>9} {'est tok':>8} {'measured':>8}")
    for t in payload["turns"]:
        click.echo(f"{t['index']:>5} {t['kind']:<6} {t['reason'] or '':<9} {t['message_count']:>8} "
                   f"{t['body_bytes']:>9} {t['tokens']['estimated']:>8} {t['tokens']['measured'] or '':>8}")
    for c in payload["compactions"]:
        click.echo(f"compaction at turn {c['turn']} ({','.join(c['signals'])}): tokens {c['tokens_before_est']} -> "
                   f"{c['tokens_after_est']} (estimated), cache write after {c['cache_write_after']}")


def _rich_turns(payload):
    from rich.console import Console
    table = rich_table(f"history {payload['session_id']}", list(TURN_COLUMNS))
    for t in payload["turns"]:
        table.add_row(*_turn_values(t))
    Console().print(table)


def _describe(block):
    kind = block["type"]
    if kind == "text":
        return f"text {block['chars']} chars: {block['preview'][:60]!r}"
    if kind in ("tool_use", "server_tool_use"):
        return f"{kind} {block['name']}"
    if "chars" in block:
        return f"{kind} {block['chars']} chars"
    return str(kind)


def _plain_request(payload):
    r = payload["request"]
    t = r["turn"]
    click.echo(f"turn {t['index']} ({t['kind']}) exchange {t['exchange_id']} model {r['model']}: "
               f"{len(r['messages'])} messages, {r['body_bytes']} bytes")
    for m in r["messages"]:
        click.echo(f"  [{m['index']}] {m['role']}: " + "; ".join(_describe(b) for b in m["blocks"]))
    response = r["response"]
    if response is None:
        click.echo("response: not captured")
        return
    click.echo(f"response {response['id']} stop {response['stop_reason']}:")
    for b in response["content"]:
        click.echo(f"  {_describe(b)}")


@command.command("cache")
@click.argument("session")
@format_option()
@guarded
def cache(session, fmt):
    """Every cache break of a session: turn, cause, what changed, what it cost; the window by MCP
    server; findings (more breaks than the cache_breaks_limit setting, 3 by default; one MCP
    server above mcp_heavy_percent of the window, 30 %)."""
    with user_store() as store:
        result = cache_view.session_cache(Context(None, store), session)
    if result is None:
        raise RelayError(f"no captured history for session {session!r}", hint="see `relay history list`")
    emit({"ok": True, **result}, fmt, _plain_cache, _rich_cache)


def _dollars(value):
    return "unpriced" if value is None else f"${value:.4f}"


def _plain_cache(payload):
    t = payload["totals"]
    click.echo(f"session {payload['session_id']}: {payload['turns']} turns, {t['breaks']} cache breaks, "
               f"{t['tokens']:,} tokens re-paid, {_dollars(t['dollars'])}")
    for b in payload["breaks"]:
        click.echo(f"  turn {b['turn']:>4}  {b['cause']:<17} {b['tokens']:>9,} tok  {_dollars(b['dollars']):>10}  "
                   f"{b['summary']}")
    _plain_window(payload["window"])
    for f in payload["findings"]:
        click.echo(f"finding {f['kind']}: {f['message']}")


def _plain_window(window):
    if not window:
        return
    click.echo(f"window of the last request: {window['window_tokens']:,} tokens "
               f"({'measured' if window['measured'] else 'estimated'}; per part +-{window['error']:.0%})")
    for name, s in window["servers"].items():
        click.echo(f"  mcp {name:<20} {s['tokens']:>9,} tok {s['percent']:>5} %  ({s['tools']} tools)")
    for name, p in window["parts"].items():
        click.echo(f"  {name:<24} {p['tokens']:>9,} tok {p['percent']:>5} %")


def _rich_cache(payload):
    from rich.console import Console
    table = rich_table(f"cache breaks {payload['session_id']}",
                       [("turn", "right"), "cause", ("tokens", "right"), ("cost", "right"), "what changed"])
    for b in payload["breaks"]:
        table.add_row(str(b["turn"]), b["cause"], f"{b['tokens']:,}", _dollars(b["dollars"]), b["summary"])
    Console().print(table)
    _plain_window(payload["window"])
    for f in payload["findings"]:
        click.echo(f"finding {f['kind']}: {f['message']}")
