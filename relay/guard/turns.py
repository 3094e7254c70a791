"""Turns with their money and context: one model response each, from proxy rows or, for a
session the proxy never saw, from the session index.

Per turn: the five token kinds, the API-priced cost (None when the model is unpriced), the
context fill (input + cache writes + cache reads over the model's window) and the guard's tier
for it. The arithmetic is the guard's and the cost module's own, so every reader agrees.
"""
from relay import guard
from relay.costs import cost as costs
from relay.costs import prices
from relay.costs.sources import usage_of
from relay.store import queries, usage_index


def _turn(source, ts, session_id, model, usage, table, thresholds, exchange_id=None, message_id=None):
    price = table.lookup(model) if model else None
    priced = costs.cost_of(usage, price) if price else None
    tokens, _ = costs.token_kinds(usage)
    prompt = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    window = guard.context_window(model)
    fill = round(prompt * 100 / window, 2) if prompt else None
    return {"source": source, "ts": ts, "session_id": session_id, "model": model, "exchange_id": exchange_id,
            "message_id": message_id, "tokens": tokens, "prompt_tokens": prompt, "context_window": window,
            "context_pct": fill, "zone": guard.tier(fill, thresholds["context"]),
            "cost": None if priced is None else priced["total"],
            "estimated_ttl": bool(priced and priced["estimated_ttl"])}


def from_exchanges(exchanges, table, thresholds):
    """Finished exchanges that reported tokens, in the order given."""
    return [_turn("proxy", ex.ts, ex.session_id, ex.model, ex.usage, table, thresholds, exchange_id=ex.id,
                  message_id=ex.message_id)
            for ex in exchanges if ex.outcome is not None and ex.usage.total]


def from_index(rows, table, thresholds):
    """`message_usage` rows (relay.store.usage_index) as turns."""
    out = []
    for r in rows:
        out.append(_turn("file", r["ts"], r["session_id"], r["model"], usage_of(r), table, thresholds,
                         message_id=r["message_id"]))
    return out


def for_session(store, session_id, limit, thresholds, table=None):
    """One session's turns, newest first: from the proxy's rows, else from the session index
    (a session relay saw only in its files). The API and MCP both read turns through here."""

    table = table or prices.load()
    found = from_exchanges(store.read(lambda c: queries.recent_usage(c, limit=limit, session_id=session_id)),
                           table, thresholds)
    if not found:
        found = list(reversed(from_index(store.read(lambda c: usage_index.rows(c, session_id=session_id)),
                                         table, thresholds)))
    return found[:limit]
