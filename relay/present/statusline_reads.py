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
from relay.store import metrics_queries, queries

_WINDOW_MINUTES = {300: "5h", 10080: "7d"}


def _raw(provider, name, window):
    return {"provider": provider, "name": name, "pct": window["utilization_pct"], "reset_ts": window["reset_ts"],
            "measured_ts": window["measured_ts"]}


def quota_windows(rows):
    """{"claude": [...], "codex": [...]}: the 5h and 7d windows of stored rate-limit header rows
    (newest first) as measured, before relay.present.statusline applies the time of drawing."""
    claude = [_raw("claude", w["name"], w) for w in (ratelimits.parse_anthropic(rows) or {}).get("windows", [])
              if w["name"] in ("5h", "7d")]
    codex = []
    for w in (ratelimits.parse_codex(rows) or {}).get("windows", []):
        minutes = w.get("window_minutes")
        name = _WINDOW_MINUTES.get(int(minutes), f"{minutes:g}m") if minutes else w["name"]
        codex.append(_raw("codex", name, w))
    return {"claude": claude, "codex": codex}


def measure(store, session_id, table, now, state=None):
    """(what the line reads from relay's database, the running totals' new state): the quota
    windows, the session's latest exchange, and the cost and cache sums of today and of the
    session (relay.costs.today.running, incremental from `state`). One read, so a lock fails it
    whole."""
    def read(conn):
        totals, new_state = today.running(conn, table, times.start_of_day(now), session_id, state, now)
        window = last_window(conn, session_id) if session_id else None
        return {"windows": quota_windows(metrics_queries.ratelimit_rows(conn)),
                "last": queries.last_prompt(conn, session_id) if session_id else None,
                "today": totals["today"], "session": totals["session"], "mcp": top_server(window)}, new_state
    return store.read(read)
