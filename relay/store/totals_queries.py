"""Running totals over every proxied request, for Prometheus (/metrics) and `relay top`.

Each function is one aggregate query; they return plain dicts. Only finished rows (outcome set)
count toward totals and histograms, so a counter never moves backwards when a row finishes.
"""
from relay.store.queries import _USAGE_FIELDS, _exchange

STATUS_CLASS = """CASE WHEN status = 429 THEN '429'
                       WHEN status BETWEEN 200 AND 299 THEN '2xx'
                       WHEN status BETWEEN 400 AND 499 THEN '4xx'
                       WHEN status BETWEEN 500 AND 599 THEN '5xx'
                       ELSE 'other' END"""


def requests_by_class(conn):
    """[{provider, status_class, outcome, n}] over finished rows."""
    rows = conn.execute(f"""
        SELECT provider, {STATUS_CLASS} AS status_class, outcome, COUNT(*) AS n FROM exchanges
        WHERE outcome IS NOT NULL GROUP BY provider, status_class, outcome ORDER BY provider, status_class, outcome""")
    return [dict(r) for r in rows]


def in_flight(conn):
    return conn.execute("SELECT COUNT(*) FROM exchanges WHERE outcome IS NULL").fetchone()[0]


def tokens_by_provider(conn):
    """{provider: {usage field: sum}} over finished rows."""
    sums = ", ".join(f"SUM({f}) AS {f}" for f in _USAGE_FIELDS)
    out = {}
    for row in conn.execute(f"SELECT provider, {sums} FROM exchanges WHERE outcome IS NOT NULL GROUP BY provider"):
        out[row["provider"]] = {f: row[f] or 0 for f in _USAGE_FIELDS}
    return out


def histogram(conn, column, bounds):
    """{provider: {"buckets": [cumulative count per bound], "sum", "count"}} of a ms column over
    finished rows that have it. One pass: a SUM per bound."""
    if column not in ("duration_ms", "ttfb_ms"):
        raise ValueError(column)
    le = ", ".join(f"SUM({column} <= ?)" for _ in bounds)
    rows = conn.execute(f"""
        SELECT provider, COUNT(*), SUM({column}){', ' + le if bounds else ''} FROM exchanges
        WHERE outcome IS NOT NULL AND {column} IS NOT NULL GROUP BY provider""", list(bounds))
    return {r[0]: {"count": r[1], "sum": r[2] or 0.0, "buckets": [v or 0 for v in r[3:]]} for r in rows}


def settled_usage(conn, after_rowid):
    """(exchanges with tokens whose rowid is above `after_rowid` and below the oldest in-flight
    row, the highest rowid covered). Stopping below the oldest open row lets a caller keep a
    running tally by rowid without missing a row that finishes later."""
    open_row = conn.execute("SELECT MIN(rowid) FROM exchanges WHERE outcome IS NULL").fetchone()[0]
    limit = conn.execute("SELECT MAX(rowid) FROM exchanges").fetchone()[0] or 0
    if open_row is not None:
        limit = open_row - 1
    if limit <= after_rowid:
        return [], after_rowid
    tokens = " + ".join(f"COALESCE({f}, 0)" for f in _USAGE_FIELDS)
    rows = conn.execute(f"SELECT * FROM exchanges WHERE rowid > ? AND rowid <= ? AND ({tokens}) > 0",
                        (after_rowid, limit))
    return [_exchange(r) for r in rows], limit


def rate_since(conn, since):
    """Requests, tokens (all kinds) and errors started at or after `since`: the numerators of
    `relay top`'s per-second rates."""
    total = " + ".join(f"COALESCE({f}, 0)" for f in _USAGE_FIELDS if f != "reasoning_tokens")
    row = conn.execute(f"""SELECT COUNT(*), SUM({total}), SUM(status >= 400 OR outcome NOT IN ('ok'))
                           FROM exchanges WHERE ts >= ?""", (since,)).fetchone()
    return {"requests": row[0], "tokens": row[1] or 0, "errors": row[2] or 0}
