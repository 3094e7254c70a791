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
