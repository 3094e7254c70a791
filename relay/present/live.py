"""Live session cards: every running CLI and every session the proxy saw lately, with its context
fill against the model's window, the guard's tier for it, its composition and its last prompt."""
import json
import time

from relay import guard as guards
from relay.costs import rates
from relay.present.guard import thresholds as guard_thresholds
from relay.present.history import composition as composition_of
from relay.sessions import wire
from relay.sessions.alive import alive_sessions
from relay.sessions.attribution import window as mcp_window
from relay.sessions.composition import duplicate_reads_of, estimate_tokens, synthetic_kind, wire_tool_calls
from relay.store import history_queries, metrics_queries, queries, session_index

LIVE_MINUTES = 30     # /display/ shows sessions with proxy activity this recent
PROVIDER_OF_CLI = {"claude": "anthropic", "codex": "openai", "gemini": "google"}


def _messages(body):
    """The messages of a captured request of any wire format, in the Messages shape."""
    try:
        view = wire.request_view(json.loads(body))
    except ValueError:
        return []
    return view["messages"] if view else []


def _prompt_text(body):
    """The last thing the person typed in a captured request (plain text, capped), or None."""
    for msg in reversed(_messages(body)):
        if msg.get("role") != "user":
            continue
        content = msg.get("content")
        texts = [content] if isinstance(content, str) else [
            b.get("text") or "" for b in content or [] if isinstance(b, dict) and b.get("type") == "text"]
        text = "\n".join(t for t in texts if t and synthetic_kind(t) not in ("system_reminder", "context")).strip()
        if text:
            return text[:500]
    return None


def live_session(row, last, composition=None, body=None, alive=None, indexed=None, thresholds=None):
    """One /display/ card: a session (a queries.list_sessions row; requests is None when the proxy
    never saw it), its last request, the composition of its last captured turn and, for a running
    CLI, its relay.sessions.alive entry (cli, pid, cwd, connection). A running session relay never
    proxied takes its turns and composition from the session index (`indexed`, as of the last
    scan); `counted_from` says which source the numbers are from. The context fill is against the
    window of the last request's model (relay.guard.context_window), and its tier is the guard's
    for that fill under `thresholds` (the context zone's (notice, warn, critical))."""
    used = window = pct = None
    if last is not None:
        used = sum(last.get(k) or 0 for k in ("input_tokens", "cache_read_input_tokens",
                                               "cache_creation_input_tokens"))
        window = guards.context_window(last.get("model"))
        pct = round(100 * used / window, 2)       # the guard's own rounding, so the tiers agree
    running = alive is not None
    alive = alive or {}
    # The CLI as the process scan or the proxy (mount and user agent) knows it; never a guess.
    cli = alive.get("cli") or (last or {}).get("cli") or row.get("cli")
    return {"session_id": row["session_id"], "alive": running, "cli": cli,
            "provider": (last or {}).get("provider") or PROVIDER_OF_CLI.get(cli),
            "connection": alive.get("connection") or [], "via_proxy": bool(row["requests"]),
            "pid": alive.get("pid"), "cwd": alive.get("cwd"), "terminal": alive.get("terminal"),
            "turns": row["requests"] if row["requests"] is not None else (indexed or {}).get("turns"),
            "counted_from": "proxy" if row["requests"] else ("scan" if indexed else None),
            "last_seen": row["last_seen"], "models": row["models"],
            "context_tokens": used, "context_window": window, "context_pct": None if pct is None else round(pct, 1),
            "context_tier": None if pct is None or thresholds is None else guards.tier(pct, thresholds),
            "composition": composition_of(composition or (indexed or {}).get("composition") or None),
            "last_prompt": None if body is None else _prompt_text(body)}


def duplicate_reads(found):
    """Duplicate reads for a card: per file the reads, the repeats and the tokens they wasted."""
    if not found:
        return None
    files = [{"path": f["path"], "reads": f["reads"], "duplicates": f["duplicates"],
              "tokens": estimate_tokens(f["chars"])} for f in found.get("files") or []]
    return {"count": found.get("count", 0), "tokens": found.get("tokens", 0), "files": files}


def insights(conn, session_id, body=None, composition=None, indexed=None):
    """What a card adds to the fill: the signal-to-noise ratio of the context, the duplicate reads
    in it and the session's cache hit rate (proxied requests; None when relay saw none). From the
    last captured request when there is one, else from the session index (the last scan)."""
    snr = dup = None
    if composition is not None:
        snr = composition.get("snr")
    if body is not None:
        dup = duplicate_reads(duplicate_reads_of(wire_tool_calls(_messages(body))))
    elif indexed:
        found = indexed.get("composition") or {}
        snr = found.get("snr") if snr is None else snr
        dup = duplicate_reads(found.get("duplicate_reads"))
    hit = None
    if session_id is not None:
        rate = rates.hit_rate(metrics_queries.cache_totals(conn, session_id=session_id))
        hit = None if rate is None else round(100 * rate, 1)
    return {"snr": snr, "duplicate_reads": dup, "cache_hit_pct": hit}


def running(ctx):
    """The running CLI sessions: the serving relay's cached scan (with registered terminals), else
    a scan now (`relay top` reading the database)."""
    return ctx.running() if ctx.running is not None else alive_sessions(None)


def live_sessions(ctx, now=None, running_now=None):
    """Cards for every running CLI process (relay.sessions.alive) and every session the proxy saw
    in the last LIVE_MINUTES, joined by session id: a CLI not routed through relay still gets a
    card, and a proxied client on another machine (no local process) does too."""
    now = time.time() if now is None else now
    cutoff = now - LIVE_MINUTES * 60
    procs = running(ctx) if running_now is None else running_now
    thresholds = guard_thresholds(ctx)["context"]

    def card(conn, row, alive):
        last = turn = None
        if row.get("session_id") and row.get("requests"):
            last = queries.last_exchange(conn, row["session_id"])
            turn = history_queries.last_turn(conn, row["session_id"])
        composition = body = indexed = None
        if turn is not None:
            composition = json.loads(turn["composition"]) if turn["composition"] else None
            body = history_queries.request_body(conn, row["session_id"], turn["turn"])
        elif alive is not None and alive.get("session_id"):
            # not captured on the wire: what the last `relay scan` read from the session file
            indexed = next(iter(session_index.list_sessions(conn, session_id=alive["session_id"])), None)
        return {**live_session(row, None if last is None else last.to_dict(), composition, body, alive, indexed,
                               thresholds),
                "mcp_window": None if turn is None else mcp_window(composition, turn["measured_tokens"]),
                **insights(conn, row["session_id"] if row.get("requests") else None, body, composition, indexed)}

    def gather(conn):
        seen = {}
        for row in queries.list_sessions(conn, limit=50):
            if row["last_seen"] < cutoff:
                break   # newest first
            seen[row["session_id"]] = row
        cards = []
        for alive in procs:
            row = seen.pop(alive["session_id"], None) if alive["session_id"] else None
            if row is None and alive["session_id"]:
                row = next((r for r in queries.list_sessions_by_id(conn, [alive["session_id"]])), None)
            row = row or {"session_id": alive["session_id"] or f"pid-{alive['pid']}", "requests": None,
                          "last_seen": alive["started_at"], "models": []}
            cards.append(card(conn, row, alive))
        cards.extend(card(conn, row, None) for row in seen.values())
        return cards
    return ctx.store.read(gather)


def display(ctx, running_now=None):
    """/display/: the live cards."""
    return {"live_minutes": LIVE_MINUTES, "sessions": live_sessions(ctx, running_now=running_now)}
