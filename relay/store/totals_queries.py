"""Totals over proxied requests, one aggregate query each: for Prometheus (/metrics), read a few new
rows at a time, and for the dashboard's numbers of the day (a `Since` scope).

A caller keeps totals and asks only for rows that finished since its last read: a `Batch` is the
rows above its rowid mark plus those it saw still in flight last time, finished ones only. A row
is read exactly once, when it has finished, and a long stream holds back nothing but itself.
Each function is one aggregate query over a batch and returns plain dicts.
"""
from relay.store.queries import _USAGE_FIELDS, USED_TOKENS

STATUS_CLASS = """CASE WHEN status = 429 THEN '429'
                       WHEN status BETWEEN 200 AND 299 THEN '2xx'
                       WHEN status BETWEEN 400 AND 499 THEN '4xx'
                       WHEN status BETWEEN 500 AND 599 THEN '5xx'
                       ELSE 'other' END"""
# The prompt as relay.costs.cost.cost_of counts it: the cache-write lump, or its 5m/1h split when
# that is larger, so that a row is long-context here exactly when it is there.
_PROMPT = ("COALESCE(input_tokens, 0) + MAX(COALESCE(cache_creation_input_tokens, 0),"
           " COALESCE(cache_creation_5m_input_tokens, 0) + COALESCE(cache_creation_1h_input_tokens, 0))"
           " + COALESCE(cache_read_input_tokens, 0)")


class Batch:
    """The finished rows in (lo, hi] or among `pending` (rowids that were in flight before)."""

    def __init__(self, conn, lo, pending):
        self.lo, self.pending = lo, sorted(pending)
        self.hi = max(lo, conn.execute("SELECT MAX(rowid) FROM exchanges").fetchone()[0] or 0)
        marks = ", ".join("?" for _ in self.pending)
        self.sql = ("outcome IS NOT NULL AND ((rowid > ? AND rowid <= ?)"
                    + (f" OR rowid IN ({marks}))" if self.pending else ")"))
        self.args = (lo, self.hi, *self.pending)

    def still_open(self, conn):
        """Rowids of this batch's range or pending set that have not finished yet."""
        marks = ", ".join("?" for _ in self.pending)
        extra = f" OR rowid IN ({marks})" if self.pending else ""
        rows = conn.execute("SELECT rowid FROM exchanges WHERE outcome IS NULL "
                            f"AND ((rowid > ? AND rowid <= ?){extra})", (self.lo, self.hi, *self.pending))
        return {r[0] for r in rows}


class Since:
    """The finished rows that used tokens and started at or after `since` (of one session when
    `session_id` is given), one per message id (the first by ts, rowid, as
    relay.costs.sources.dedupe keeps it): the rows costs.report prices for proxy traffic. The
    duplicates are found in one pass over the scope (a window function), not per row."""

    def __init__(self, since, session_id=None):
        scope, args = "ts >= ?", [since]
        if session_id is not None:
            scope, args = scope + " AND session_id = ?", args + [session_id]
        self.sql = f"""{scope} AND outcome IS NOT NULL AND {USED_TOKENS} AND rowid NOT IN (
            SELECT rowid FROM (SELECT rowid, ROW_NUMBER() OVER (PARTITION BY message_id ORDER BY ts, rowid) AS nth
                               FROM exchanges WHERE {scope} AND outcome IS NOT NULL AND {USED_TOKENS}
                                                AND message_id IS NOT NULL AND message_id != '') AS numbered
            WHERE nth > 1)"""
        self.args = (*args, *args)


class Where:
    """A scope narrowed by one more condition: `Where(batch, "ts >= ?", since)`."""

    def __init__(self, scope, sql, *args):
        self.sql = f"({scope.sql}) AND {sql}"
        self.args = (*scope.args, *args)


def open_rowids(conn, since):
    """Rowids of rows started at or after `since` that have not finished yet."""
    return {r[0] for r in conn.execute("SELECT rowid FROM exchanges WHERE ts >= ? AND outcome IS NULL", (since,))}


def max_rowid(conn):
    return conn.execute("SELECT MAX(rowid) FROM exchanges").fetchone()[0] or 0


def in_flight(conn):
    return conn.execute("SELECT COUNT(*) FROM exchanges WHERE outcome IS NULL").fetchone()[0]


# The labels of a Prometheus series: wire API, who (the OS user of the relay that wrote the row,
# or the person a team token names), which CLI and which model; '' for NULL.
SERIES = ("provider", "COALESCE(os_user, '')", "COALESCE(cli, '')", "COALESCE(model, '')")
_SERIES_SQL = ", ".join(SERIES)


def _key(row):
    return tuple(row[:len(SERIES)])


def requests_by_class(conn, batch):
    """{(series..., status_class, outcome): n} of a batch, with the first rowid of each series
    (the label bound admits names in order of first appearance)."""
    rows = conn.execute(f"""
        SELECT {_SERIES_SQL}, {STATUS_CLASS} AS status_class, outcome, COUNT(*), MIN(rowid) FROM exchanges
        WHERE {batch.sql} GROUP BY {_SERIES_SQL}, status_class, outcome ORDER BY MIN(rowid)""", batch.args)
    return [(_key(r), r[len(SERIES)], r[len(SERIES) + 1], r[len(SERIES) + 2]) for r in rows]


def usage_by_series(conn, batch, dollars_sql, dollars_args):
    """{series: {usage field: sum, "dollars": priced sum, "unpriced": rows}} of a batch; the
    dollars of a row from `dollars_sql` (row_dollars: NULL for a model without a price)."""
    labels = ", ".join(f"s{i}" for i in range(len(SERIES)))
    sums = ", ".join(f"SUM({f})" for f in _USAGE_FIELDS)
    rows = conn.execute(f"""
        SELECT {labels}, {sums}, SUM(d), SUM(CASE WHEN d IS NULL THEN 1 ELSE 0 END) FROM (
            SELECT {", ".join(f"{c} AS s{i}" for i, c in enumerate(SERIES))}, {", ".join(_USAGE_FIELDS)},
                   {dollars_sql} AS d
            FROM exchanges WHERE {batch.sql}) AS priced
        GROUP BY {labels}""", (*dollars_args, *batch.args))
    out = {}
    n = len(SERIES)
    for r in rows:
        data = {f: r[n + i] or 0 for i, f in enumerate(_USAGE_FIELDS)}
        data["dollars"] = r[n + len(_USAGE_FIELDS)] or 0.0
        data["unpriced"] = r[n + len(_USAGE_FIELDS) + 1] or 0
        out[_key(r)] = data
    return out


def histogram(conn, column, bounds, batch):
    """{series: {"buckets": [cumulative count per bound], "sum", "count"}} of a ms column over
    the rows of a batch that have it; one pass, a SUM per bound."""
    if column not in ("duration_ms", "ttfb_ms"):
        raise ValueError(column)
    le = "".join(f", SUM(CASE WHEN {column} <= ? THEN 1 ELSE 0 END)" for _ in bounds)
    rows = conn.execute(f"""
        SELECT {_SERIES_SQL}, COUNT(*), SUM({column}){le} FROM exchanges
        WHERE ({batch.sql}) AND {column} IS NOT NULL GROUP BY {_SERIES_SQL}""", (*bounds, *batch.args))
    n = len(SERIES)
    return {_key(r): {"count": r[n], "sum": r[n + 1] or 0.0, "buckets": [v or 0 for v in r[n + 2:]]} for r in rows}


def models_in(conn, batch):
    return [r[0] for r in conn.execute(f"SELECT DISTINCT model FROM exchanges WHERE {batch.sql}", batch.args)]


# One row's tokens per price kind, as relay.costs.cost.token_kinds splits them.
_KIND_SQL = {
    "input": "COALESCE(input_tokens, 0)", "output": "COALESCE(output_tokens, 0)",
    "cache_write_5m": ("(COALESCE(cache_creation_5m_input_tokens, 0)"
                       " + MAX(COALESCE(cache_creation_input_tokens, 0) - COALESCE(cache_creation_5m_input_tokens, 0)"
                       " - COALESCE(cache_creation_1h_input_tokens, 0), 0))"),
    "cache_write_1h": "COALESCE(cache_creation_1h_input_tokens, 0)",
    "cache_read": "COALESCE(cache_read_input_tokens, 0)"}
_USAGE_TOTAL = ("(COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0) + COALESCE(cache_creation_input_tokens, 0)"
                " + COALESCE(cache_read_input_tokens, 0))")


def row_dollars(prices, kinds, per_token):
    """(SQL, args): one row's dollars with exactly the float steps of relay.costs.cost.cost_of's
    total (kind by kind tokens * rate / 1e6, summed in KINDS order), from `prices` ({model:
    Price or None}, `kinds` and `per_token` as cost_of has them); 0 for a model without a price
    that used no tokens, else NULL (unpriced)."""
    def total(rates):
        return "(0" + "".join(f" + {_KIND_SQL[k]} * ? / {per_token}" for k in kinds) + ")", [
            getattr(rates, k) for k in kinds]

    cases, args = [], []
    for model, price in prices.items():
        if not model or price is None:
            continue
        base_sql, base_args = total(price.base)
        if price.long is None:
            cases.append(f"WHEN ? THEN {base_sql}")
            args += [model, *base_args]
        else:
            long_sql, long_args = total(price.long)
            cases.append(f"WHEN ? THEN CASE WHEN ({_PROMPT}) > ? THEN {long_sql} ELSE {base_sql} END")
            args += [model, price.threshold, *long_args, *base_args]
    unpriced = f"CASE WHEN {_USAGE_TOTAL} > 0 THEN NULL ELSE 0.0 END"
    return (f"CASE model {' '.join(cases)} ELSE {unpriced} END" if cases else unpriced), args


def usage_for_pricing(conn, batch, thresholds):
    """Token sums of the rows of a batch (or Since scope) that used tokens, per (model, long):
    `long` is whether a row's prompt (input + cache writes + cache reads) exceeds its model's
    threshold from `thresholds` ({model: tokens}; absent = never long). `unsplit` sums, per row,
    the part of the cache-write lump the 5m/1h split does not cover, as
    relay.costs.cost.token_kinds does."""
    cases = " ".join("WHEN ? THEN ?" for _ in thresholds)
    long_sql = f"CASE WHEN ({_PROMPT}) > CASE model {cases} ELSE NULL END THEN 1 ELSE 0 END" if thresholds else "0"
    args = [v for item in thresholds.items() for v in item]
    rows = conn.execute(f"""
        SELECT model, COALESCE({long_sql}, 0) AS long, COUNT(*) AS requests,
               SUM(input_tokens) AS input, SUM(output_tokens) AS output,
               SUM(cache_creation_5m_input_tokens) AS cache_write_5m,
               SUM(cache_creation_1h_input_tokens) AS cache_write_1h,
               SUM(MAX(COALESCE(cache_creation_input_tokens, 0) - COALESCE(cache_creation_5m_input_tokens, 0)
                       - COALESCE(cache_creation_1h_input_tokens, 0), 0)) AS unsplit,
               SUM(cache_read_input_tokens) AS cache_read
        FROM exchanges WHERE ({batch.sql}) AND {USED_TOKENS}
        GROUP BY model, long""", (*args, *batch.args))
    return [{k: (row[k] or 0) if k != "model" else row[k] for k in row.keys()} for row in rows]
