"""What pruning saved on one request, measured: the request as sent against the request as the
client wrote it.

After: upstream's usage for the pruned body (input, cache read, cache writes), as reported.
Before: what the unpruned body would have been billed, in relay's token estimate (edits.py):
  * read: the original body's units up to the latest breakpoint of the session's previous
    original request (same model) that the two bodies share: the prompt cache keeps prefixes
    ending at breakpoints, and Claude Code re-sends its history, so the unpruned request would
    have read what the unpruned previous one cached. "Shared" is judged by the units' token
    counts (a cheap signature: a compaction or an edited message changes them). No previous
    request: nothing read. Upstream reporting no cache read at all on the pruned request (the
    cache expired or was never written) makes the unpruned one read nothing too.
  * cache writes: the units after that up to the last breakpoint, each at the TTL of the first
    breakpoint at or after it (5m or 1h);
  * input: the units after the last breakpoint.
Tokens saved = before - after; dollars saved = the price table's cost of before - of after
(relay/costs/prune_savings.py), so every price applies where it belongs: a token removed from a
cached prefix saves a cache read, one removed from the re-cached tail a cache write, and an edit
that broke the cache costs the writes upstream reported.
"""
from dataclasses import dataclass

from relay.proxy.stages.prune.cost import WRITE_1H, Layout


@dataclass
class Accounting:
    """What the stage keeps about a pruned request until its response arrives."""
    model: str | None
    sent_tokens: int            # estimated tokens of the body as sent
    before: dict                # the unpruned request's split: input, cache_read, cache_write_5m/1h


def signature(layout: Layout):
    """What counterfactual() needs of the previous original request: its units' tokens up to its
    last breakpoint and the positions of its breakpoints."""
    end = layout.last_bp + 1
    return layout.tokens[:end], [k for k in range(end) if layout.marks[k]]


def counterfactual(layout: Layout, previous):
    """The unpruned body's billing split (module docstring); previous: signature() or None."""
    read_end = -1
    if previous is not None:
        tokens, marks = previous
        n = len(tokens) if layout.tokens[:len(tokens)] == tokens else \
            next((k for k, (a, b) in enumerate(zip(layout.tokens, tokens)) if a != b), len(layout.tokens))
        read_end = max((k for k in marks if k < n and k <= layout.last_bp), default=-1)
    split = {"input": sum(layout.tokens[layout.last_bp + 1:]), "cache_read": sum(layout.tokens[:read_end + 1]),
             "cache_write_5m": 0, "cache_write_1h": 0}
    for k in range(read_end + 1, layout.last_bp + 1):
        split["cache_write_1h" if layout.price[k] == WRITE_1H else "cache_write_5m"] += layout.tokens[k]
    return split


def row(exchange, tier, accounting: Accounting):
    """The prune_savings row of a finished exchange (relay/store/writes.py), or None when upstream
    reported no prompt tokens (an error answer)."""
    u = exchange.usage
    split = u.cache_creation_5m_input_tokens + u.cache_creation_1h_input_tokens
    after = {"input": u.input_tokens, "cache_read": u.cache_read_input_tokens,
             "cache_write_5m": u.cache_creation_5m_input_tokens + max(u.cache_creation_input_tokens - split, 0),
             "cache_write_1h": u.cache_creation_1h_input_tokens}
    if not any(after.values()):
        return None
    before = dict(accounting.before)
    if not after["cache_read"] and before["cache_read"]:
        before["cache_write_5m"] += before.pop("cache_read")
        before["cache_read"] = 0
    return {"exchange_id": exchange.id, "ts": exchange.ts, "session_id": exchange.session_id, "tier": tier,
            "model": exchange.model or accounting.model,
            **{f"before_{k}": v for k, v in before.items()}, **{f"after_{k}": v for k, v in after.items()}}
