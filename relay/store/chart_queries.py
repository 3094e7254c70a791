"""Time series for the dashboard's charts: one GROUP BY per chart, so a chart over 30 days of
traffic reads a few hundred aggregate rows, never every exchange.

A bucket is `CAST((ts - start) / step AS INTEGER)`: bucket 0 starts at `start`. Costs and tokens
count the rows relay.costs prices (finished, used tokens, first per message id: the `Since`
scope); rates count every finished request, as relay.costs.rates does.
"""
import json

from relay.store.totals_queries import _KIND_SQL, Since

_BUCKET = "CAST((ts - ?) / ? AS INTEGER)"


def models_since(conn, since):
    """Distinct models of the priced scope since `since` (for the price lookup)."""
    scope = Since(since)
    return [r[0] for r in conn.execute(f"SELECT DISTINCT model FROM exchanges WHERE {scope.sql}", scope.args)]


def cost_buckets(conn, start, step, dollars_sql, dollars_args):
    """[{bucket, model, requests, cost, unpriced}] since `start`, `dollars_sql` being one row's
    dollars (relay.store.totals_queries.row_dollars; NULL for an unpriced row)."""
    scope = Since(start)
    rows = conn.execute(f"""
        SELECT {_BUCKET} AS bucket, model, COUNT(*) AS requests, SUM(d) AS cost, SUM(d IS NULL) AS unpriced
        FROM (SELECT ts, model, {dollars_sql} AS d FROM exchanges WHERE {scope.sql}) AS priced
        GROUP BY bucket, model ORDER BY bucket, model""", (start, step, *dollars_args, *scope.args))
    return [dict(r) for r in rows]


def token_buckets(conn, start, step):
    """[{bucket, input, output, cache_write_5m, cache_write_1h, cache_read}] since `start`, the
    kinds split as relay.costs.cost.token_kinds splits them."""
    scope = Since(start)
    sums = ", ".join(f"SUM({sql}) AS {kind}" for kind, sql in _KIND_SQL.items())
    rows = conn.execute(f"SELECT {_BUCKET} AS bucket, {sums} FROM exchanges WHERE {scope.sql} "
                        "GROUP BY bucket ORDER BY bucket", (start, step, *scope.args))
    return [{k: row[k] or 0 for k in row.keys()} for row in rows]


def rate_buckets(conn, start, step):
    """[{bucket, requests, failed, input, cache_read, cache_creation}] of finished requests since
    `start`: what the cache hit rate and the error rate of each bucket are computed from. A failed
    request is any status outside 2xx (relay.present.costs.summary_of counts the same)."""
    rows = conn.execute(f"""
        SELECT {_BUCKET} AS bucket, COUNT(*) AS requests,
               SUM(CASE WHEN status BETWEEN 200 AND 299 THEN 0 ELSE 1 END) AS failed,
               SUM(input_tokens) AS input, SUM(cache_read_input_tokens) AS cache_read,
               SUM(MAX(COALESCE(cache_creation_input_tokens, 0), COALESCE(cache_creation_5m_input_tokens, 0)
                       + COALESCE(cache_creation_1h_input_tokens, 0))) AS cache_creation
        FROM exchanges WHERE outcome IS NOT NULL AND ts >= ? GROUP BY bucket ORDER BY bucket""",
                        (start, step, start))
    return [{k: row[k] or 0 for k in row.keys()} for row in rows]


def _header(name):
    # The LIKE skips a row without the header before its JSON is parsed; json_valid keeps a
    # garbled value from failing the query.
    return (f"CASE WHEN ratelimit LIKE '%{name}%' AND json_valid(ratelimit)"
            f" THEN json_extract(ratelimit, '$.' || '{json.dumps(name)}') END")


def header_buckets(conn, start, step, value_header, reset_headers=()):
    """[{bucket, ts, value, resets: [...]}] since `start`: per bucket the newest finished row
    that carried `value_header` (raw header text, parsed by the caller), with the raw values of
    `reset_headers` on that row."""
    names = (value_header, *reset_headers)
    if any(c in name for name in names for c in "'%\\\""):
        raise ValueError("header names are fixed words and dashes")
    resets = "".join(f", {_header(h)} AS r{i}" for i, h in enumerate(reset_headers))
    outer = "".join(f", r{i}" for i in range(len(reset_headers)))
    # the newest row per bucket by a window function (PostgreSQL has no bare columns beside MAX())
    rows = conn.execute(f"""
        SELECT bucket, ts, value{outer} FROM (
            SELECT bucket, ts, value{outer}, ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY ts DESC) AS nth FROM (
                SELECT {_BUCKET} AS bucket, ts, {_header(value_header)} AS value{resets} FROM exchanges
                WHERE outcome IS NOT NULL AND ts >= ? AND ratelimit LIKE ?) AS scoped
            WHERE value IS NOT NULL) AS ranked
        WHERE nth = 1 ORDER BY bucket""", (start, step, start, f"%{value_header}%"))
    return [{"bucket": r["bucket"], "ts": r["ts"], "value": r["value"],
             "resets": [r[f"r{i}"] for i in range(len(reset_headers))]} for r in rows]


def exchange_dollars(conn, session_id, dollars_sql, dollars_args):
    """{exchange id: dollars or None (unpriced)} of the exchanges a session's captured turns
    point at, one query."""
    rows = conn.execute(f"""
        SELECT id, {dollars_sql} AS d FROM exchanges
        WHERE id IN (SELECT exchange_id FROM history_turns WHERE session_id = ?)""", (*dollars_args, session_id))
    return {r["id"]: r["d"] for r in rows}


def session_models(conn, session_id):
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT model FROM exchanges WHERE id IN (SELECT exchange_id FROM history_turns WHERE session_id = ?)",
        (session_id,))]
