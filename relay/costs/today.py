"""Dollars of proxied requests summed in SQL: the dashboard's cost of the day, the Prometheus
counters and the status line's session and day, without reading rows one by one.

A leaf of relay.costs (prices and the store's totals only), so `relay statusline` does not load
the session parsers that relay.costs.cost's file sources need.
"""
from relay.costs.prices import KINDS
from relay.store import totals_queries

PER_TOKEN = 1_000_000        # table rates are per million tokens


def priced_groups(conn, scope, table):
    """The rows of a relay.store.totals_queries scope (a Batch or Since) summed in SQL per (model,
    long-context) and priced here with the rates cost_of would use row by row: the same dollars
    without reading the rows. Each group: model, long, requests, token sums, cost (None: unpriced)."""
    by_model = {m: table.lookup(m) for m in totals_queries.models_in(conn, scope)}
    thresholds = {m: p.threshold for m, p in by_model.items() if p and p.long is not None and m is not None}
    out = []
    for g in totals_queries.usage_for_pricing(conn, scope, thresholds):
        price = by_model.get(g["model"])
        cost = None
        if price is not None:
            rates = price.long if g["long"] else price.base
            tokens = {**g, "cache_write_5m": g["cache_write_5m"] + g["unsplit"]}
            cost = sum(tokens[k] * getattr(rates, k) / PER_TOKEN for k in KINDS)
        out.append({**g, "cost": cost})
    return out


def today_by_model(store, table, since):
    """The proxy part of report(..., by="model", files=False) from one SQL aggregate: per model its
    requests and cost, the total and the unpriced models, in summarize()'s order and keys (the
    dashboard reads these every render; report() prices every row in Python). Unpriced models
    carry their request count only."""
    groups = store.read(lambda c: priced_groups(c, totals_queries.Since(since), table))
    by_model, unpriced = {}, {}
    for g in groups:
        key = g["model"] or "(unknown)"
        row = by_model.setdefault(key, {"key": key, "requests": 0, "cost": None})
        row["requests"] += g["requests"]
        if g["cost"] is None:
            unpriced[key] = unpriced.get(key, 0) + g["requests"]
        else:
            row["cost"] = (row["cost"] or 0.0) + g["cost"]
    rows = sorted(by_model.values(), key=lambda g: (g["cost"] is None, -(g["cost"] or 0.0), g["key"]))
    priced = [r["cost"] for r in rows if r["cost"] is not None]
    total = {"key": "total", "requests": sum(r["requests"] for r in rows),
             "cost": sum(priced) if priced or not rows else None}
    unpriced = [{"model": m, "requests": n} for m, n in sorted(unpriced.items())]
    return {"rows": rows, "total": total, "unpriced": unpriced}


OPEN_S = 6 * 3600          # a request still open after this long is not waited for


def _sums(groups):
    priced = [g["cost"] for g in groups if g["cost"] is not None]
    return {"cost": sum(priced), "requests": sum(g["requests"] for g in groups),
            "unpriced": sum(g["requests"] for g in groups if g["cost"] is None),
            "input": sum(g["input"] for g in groups), "cache_read": sum(g["cache_read"] for g in groups),
            "cache_creation": sum(g["cache_write_5m"] + g["cache_write_1h"] + g["unsplit"] for g in groups)}


def _add(a, b):
    return {k: a[k] + b[k] for k in a}


def first_mark(conn, now):
    """(mark, pending) of a first read: the newest rowid, and the rows then in flight that a later
    read takes once they finish (those started within OPEN_S of `now`)."""
    mark = totals_queries.max_rowid(conn)
    return mark, {r for r in totals_queries.open_rowids(conn, now - OPEN_S) if r <= mark}


def running(conn, table, since, session_id, state=None, now=None):
    """(totals, state): the priced proxy usage of today (rows started at or after `since`) and of
    one session, kept up to date from a previous call's `state` by reading only the rows that
    finished since (a rowid mark plus the rows then in flight), as the Prometheus tally does.
    A state of another session of the same day carries the day on, and only this session is
    summed whole (a new session's first line does not re-read the day). Without a usable state
    (none, another day) everything is summed once, in one read transaction so the mark matches
    the sums. Rows read incrementally are not deduplicated
    by message id against earlier ones (a proxy row repeats a message id only on a client retry)."""
    conn.execute("BEGIN")
    try:
        if state and state.get("since") == since:
            batch = totals_queries.Batch(conn, state["mark"], state["pending"])
            today = _add(state["today"], _sums(priced_groups(conn, totals_queries.Where(batch, "ts >= ?", since),
                                                             table)))
            if state.get("session") == session_id:
                mine = state["mine"]
                if session_id:
                    mine = _add(mine, _sums(priced_groups(
                        conn, totals_queries.Where(batch, "session_id = ?", session_id), table)))
            else:   # another session's state of today: the day goes on from it, this session is summed whole
                mine = _sums(priced_groups(conn, totals_queries.Since(0, session_id), table) if session_id else [])
            mark, pending = batch.hi, batch.still_open(conn)
        else:
            mark, pending = first_mark(conn, now or since)
            today = _sums(priced_groups(conn, totals_queries.Since(since), table))
            mine = _sums(priced_groups(conn, totals_queries.Since(0, session_id), table) if session_id else [])
    finally:
        conn.execute("ROLLBACK")
    state = {"since": since, "session": session_id, "mark": mark, "pending": sorted(pending), "today": today,
             "mine": mine}
    return {"today": today, "session": mine}, state
