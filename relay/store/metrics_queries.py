"""Read functions behind quota and metrics: rate-limit header rows, cache token sums, status classes.

They return plain dicts and lists; relay.costs.quota and relay.costs.rates interpret them.
Only finished rows (outcome set) count: an in-flight row has no status or usage yet.
"""
from relay.store.queries import decode_ratelimit

# A row carries a quota measurement when its raw header JSON has one of these families.
QUOTA_LIKE = ("%ratelimit-unified-%", "%x-codex-primary-%", "%x-codex-secondary-%", "%code-assist-quota-%")


def _quota_rows(columns, scope, order_limit):
    likes = " OR ".join("ratelimit LIKE ?" for _ in QUOTA_LIKE)
    narrow, args = (f" AND ({scope.sql})", scope.args) if scope is not None else ("", ())
    return (f"SELECT {columns} FROM exchanges WHERE outcome IS NOT NULL AND ({likes}){narrow}"
            f" ORDER BY ts DESC, rowid DESC {order_limit}", (*QUOTA_LIKE, *args))


def ratelimit_rows(conn, limit=200, scope=None):
    """Newest first: finished rows whose stored headers include unified or Codex quota values,
    as {ts, rowid, provider, status, user (os_user), ratelimit (dict)}. `limit` bounds the look-back for windows
    that only older rows reported; `scope` (a relay.store.totals_queries Batch) narrows the rows to it."""
    sql, args = _quota_rows("ts, rowid, provider, status, ratelimit, os_user", scope, "LIMIT ?")
    rows = conn.execute(sql, (*args, int(limit)))
    return [{"ts": row["ts"], "rowid": row["rowid"], "provider": row["provider"], "status": row["status"],
             "user": row["os_user"], "ratelimit": decode_ratelimit(row["ratelimit"])} for row in rows]


def ratelimit_horizon(conn, limit=200):
    """[ts, rowid] of the oldest row ratelimit_rows(conn, limit) returns when it returns `limit`
    rows, else None: a reader that keeps windows from earlier reads drops those measured before it."""
    sql, args = _quota_rows("ts, rowid", None, "LIMIT 1 OFFSET ?")
    row = conn.execute(sql, (*args, int(limit) - 1)).fetchone()
    return [row[0], row[1]] if row else None


def rejected_rows(conn, since):
    """Finished 429/529 rows since `since` (epoch s), or any row whose error says overloaded, with
    the fields needed to tell quota rejections from temporary overload."""
    rows = conn.execute("""
        SELECT ts, status, error, ratelimit FROM exchanges
        WHERE outcome IS NOT NULL AND ts >= ?
          AND (status IN (429, 529) OR LOWER(COALESCE(error, '')) LIKE '%overloaded%')
        ORDER BY ts""", (since,))
    return [{"ts": row["ts"], "status": row["status"], "error": row["error"],
             "ratelimit": decode_ratelimit(row["ratelimit"])} for row in rows]


def activity_times(conn, since):
    """Epoch seconds of every proxied request since `since`, plus the start and end of every
    indexed session file active since then (ISO strings, parsed by the caller)."""
    proxied = [r[0] for r in conn.execute("SELECT ts FROM exchanges WHERE ts >= ? ORDER BY ts", (since,))]
    files: list[str] = []
    for row in conn.execute("SELECT started, ended FROM session_index WHERE started IS NOT NULL"):
        files.extend(v for v in (row[0], row[1]) if v)
    return proxied, files


_CACHE_SUMS = """SUM(input_tokens) AS input, SUM(cache_read_input_tokens) AS cache_read,
                 SUM(cache_creation_input_tokens) AS cache_creation,
                 SUM(cache_creation_5m_input_tokens) AS cache_creation_5m,
                 SUM(cache_creation_1h_input_tokens) AS cache_creation_1h, COUNT(*) AS requests"""


def cache_totals(conn, since=None, session_id=None):
    """Token sums over every finished request (or since `since`, or of one session) for the cache
    metrics."""
    clause, args = (" AND ts >= ?", [since]) if since is not None else ("", [])
    if session_id is not None:
        clause, args = clause + " AND session_id = ?", [*args, session_id]
    row = conn.execute(f"SELECT {_CACHE_SUMS} FROM exchanges WHERE outcome IS NOT NULL{clause}", args).fetchone()
    return {k: row[k] or 0 for k in row.keys()}


def cache_by_session(conn, since=None, limit=1000):
    """The same sums per session id, most recently active first."""
    clause, args = (" AND ts >= ?", [since]) if since is not None else ("", [])
    rows = conn.execute(f"""
        SELECT session_id, MAX(ts) AS last_seen, {_CACHE_SUMS} FROM exchanges
        WHERE outcome IS NOT NULL AND session_id IS NOT NULL{clause}
        GROUP BY session_id ORDER BY last_seen DESC LIMIT ?""", (*args, int(limit)))
    return [{k: (row[k] or 0) if k not in ("session_id", "last_seen") else row[k] for k in row.keys()}
            for row in rows]


def status_classes(conn, since):
    """{class: count} of finished requests since `since`; 429 is its own class, apart from 4xx."""
    rows = conn.execute("""
        SELECT CASE WHEN status = 429 THEN '429'
                    WHEN status BETWEEN 200 AND 299 THEN '2xx'
                    WHEN status BETWEEN 400 AND 499 THEN '4xx'
                    WHEN status BETWEEN 500 AND 599 THEN '5xx'
                    ELSE 'other' END AS class, COUNT(*) AS n
        FROM exchanges WHERE outcome IS NOT NULL AND ts >= ? GROUP BY class""", (since,))
    return {row["class"]: row["n"] for row in rows}
