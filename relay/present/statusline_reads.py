"""What the status line reads from relay's database (`relay statusline` on a stale cache, and its
JSON twin /api/v1/statusline): the measured quota windows, the session's latest exchange, the
cost and cache sums of today and of the session, the top MCP server of the session's window.

Apart from relay.present.statusline, which draws the line, because these readers (sqlite's
queries, the rate-limit header parser, the totals, the attribution) are most of what the line
would import, and a line drawn from its cached state needs none of them. What `measure` returns
is plain JSON, so the line's state file can keep it.
"""
from relay import times
from relay.costs import ratelimits, today
from relay.sessions.attribution import last_window, top_server
from relay.store import metrics_queries, queries, totals_queries

_WINDOW_MINUTES = {300: "5h", 10080: "7d"}
# How many quota header rows back a window is still taken from: metrics_queries.ratelimit_rows' look-back.
QUOTA_ROWS = 200
_ORDER = ("claude/5h", "claude/7d", "codex/primary", "codex/secondary")


def _raw(provider, name, window):
    return {"provider": provider, "name": name, "pct": window["utilization_pct"], "reset_ts": window["reset_ts"],
            "measured_ts": window["measured_ts"]}


def _reported(row):
    """{"claude/5h": window, "codex/primary": window, ...}: the windows one header row reports."""
    found = {f"claude/{w['name']}": _raw("claude", w["name"], w)
             for w in (ratelimits.parse_anthropic([row]) or {}).get("windows", []) if w["name"] in ("5h", "7d")}
    for w in (ratelimits.parse_codex([row]) or {}).get("windows", []):
        minutes = w.get("window_minutes")
        name = _WINDOW_MINUTES.get(int(minutes), f"{minutes:g}m") if minutes else w["name"]
        found[f"codex/{w['name']}"] = _raw("codex", name, w)
    return found


def held_windows(held, rows):
    """The windows held from earlier header rows (`held`: {key: {"window", "at": [ts, rowid]}})
    with newer `rows` (ratelimit_rows', any order) applied: each window from the newest row by
    (ts, rowid) that reported it, as parse_anthropic and parse_codex take them. A row read late (it
    finished after newer ones) replaces only the windows of older rows."""
    held = dict(held)
    for row in rows:
        at = [row["ts"], row["rowid"]]
        for key, window in _reported(row).items():
            if key not in held or held[key]["at"] < at:
                held[key] = {"window": window, "at": at}
    return held


def quota_windows(held, horizon=None):
    """{"claude": [...], "codex": [...]}: the 5h and 7d windows (Codex's primary and secondary)
    of held_windows as measured, before relay.present.statusline applies the time of drawing.
    Windows measured before `horizon` (metrics_queries.ratelimit_horizon) are left out, as the
    look-back of ratelimit_rows leaves them out."""
    out = {"claude": [], "codex": []}
    for key in _ORDER:
        if key in held and (horizon is None or held[key]["at"] >= horizon):
            out[key.partition("/")[0]].append(held[key]["window"])
    return out


def _quota(conn, since, state, now):
    """(the quota windows, their state {since, mark, pending, held}): from `state` and the header
    rows that finished since its mark when it is of the same day, else from the newest QUOTA_ROWS
    header rows. One read transaction, so the mark matches the rows read."""
    conn.execute("BEGIN")
    try:
        if state and state.get("since") == since:
            batch = totals_queries.Batch(conn, state["mark"], state["pending"])
            held = held_windows(state["held"], metrics_queries.ratelimit_rows(conn, QUOTA_ROWS, batch))
            horizon = metrics_queries.ratelimit_horizon(conn, QUOTA_ROWS)
            mark, pending = batch.hi, batch.still_open(conn)
        else:
            mark, pending = today.first_mark(conn, now)
            rows = metrics_queries.ratelimit_rows(conn, QUOTA_ROWS)
            held, horizon = held_windows({}, rows), None
    finally:
        conn.execute("ROLLBACK")
    return quota_windows(held, horizon), {"since": since, "mark": mark, "pending": sorted(pending), "held": held}


def measure(store, session_id, table, now, state=None):
    """(what the line reads from relay's database, the state to pass next time): the quota
    windows, the session's latest exchange, and the cost and cache sums of today and of the
    session. Both the totals (relay.costs.today.running) and the quota windows go on from `state`,
    reading only the rows that finished since it was taken. One read, so a lock fails it whole."""
    def read(conn):
        since = times.start_of_day(now)
        totals, new_state = today.running(conn, table, since, session_id, state, now)
        windows, quota = _quota(conn, since, (state or {}).get("quota"), now)
        window = last_window(conn, session_id) if session_id else None
        return {"windows": windows,
                "last": queries.last_prompt(conn, session_id) if session_id else None,
                "today": totals["today"], "session": totals["session"], "mcp": top_server(window)}, {
                    **new_state, "quota": quota}
    return store.read(read)
