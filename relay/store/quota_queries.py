"""The read behind the per-1% quota cost (relay.costs.per_percent): every finished Anthropic row
of the look-back in (ts, rowid) order, narrowed in SQL to what the walk over measurements needs
(each window's raw utilization and reset header, the row's dollars), so Python never decodes a
header JSON or builds an Exchange per row."""
import json

from relay.store.totals_queries import row_dollars

U = "anthropic-ratelimit-unified-"


def _header(name):
    # LIKE first: a row without the header is skipped before its JSON is parsed; json_valid keeps
    # a garbled value from failing the query (relay.store.queries.decode_ratelimit reads it as {}).
    return (f"CASE WHEN ratelimit LIKE '%{name}%' AND json_valid(ratelimit)"
            f" THEN json_extract(ratelimit, '$.' || '{json.dumps(name)}') END")


def measurement_rows(conn, since, windows, lookup, kinds, per_token):
    """[raw utilization, reset (per window) ..., ts, dollars] per row, oldest first; dollars as
    totals_queries.row_dollars prices them at lookup(model) (None: a model without a price that
    used tokens)."""
    scope = "outcome IS NOT NULL AND ts >= ? AND provider = 'anthropic'"
    models = conn.execute(f"SELECT DISTINCT model FROM exchanges WHERE {scope}", (since,))
    prices = {m: lookup(m) for (m,) in models if m}
    headers = ", ".join(f"{_header(f'{U}{w}-utilization')}, {_header(f'{U}{w}-reset')}" for w in windows)
    dollars_sql, args = row_dollars(prices, kinds, per_token)
    return conn.execute(f"""
        SELECT {headers}, ts, {dollars_sql} FROM exchanges
        WHERE {scope} ORDER BY ts, rowid""",
                        (*args, since)).fetchall()
