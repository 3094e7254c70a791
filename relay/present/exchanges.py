"""Recorded requests, relay's own health and what pruning removed."""
import time

from relay import __version__
from relay.costs import prices, prune_savings
from relay.store import queries

RECENT_REQUESTS = 50


def exchange(ex):
    """One recorded request as every reader shows it."""
    return ex.to_dict()


def requests(ctx, limit=RECENT_REQUESTS):
    """The newest recorded requests."""
    return [exchange(r) for r in ctx.store.read(lambda c: queries.list_exchanges(c, limit=limit))]


def health(ctx, counts):
    """relay's own state, from the Context and the store's counts."""
    return {
        "version": __version__,
        # Monotonic: a wall-clock jump (NTP, suspend, a user changing the time) must not make
        # uptime negative or huge.
        "uptime_s": round(time.monotonic() - ctx.started_mono, 3),
        "db_path": ctx.store.location,   # the SQLite file, or the server URL with its password masked
        "store": store_status(ctx.store),
        "store_pending": ctx.store.pending,
        "store_queued": ctx.store.queued,
        "history_skipped": ctx.store.skipped,
        "upstream": {name: ctx.settings[f"upstream_{name}"]
                     for name in ("anthropic", "openai", "gemini", "chatgpt", "code_assist")},
        "counts": counts,
        "live": {"subscribers": ctx.bus.subscribers, "resets": ctx.bus.resets},
        "otlp": ctx.telemetry.stats.to_dict() if ctx.telemetry is not None else None,
    }


def store_status(store):
    """"ok", or "failing: <why>" while the database refuses writes (they wait and are retried)."""
    if store.failure is None and not store.dropped and not store.skipped:
        return "ok"
    parts = [f"failing: {store.failure}"] if store.failure else ["ok"]
    if store.pending:
        parts.append(f"{store.pending} write(s) waiting to be retried")
    if store.dropped:
        parts.append(f"{store.dropped} write(s) given up (backlog full)")
    if store.skipped:
        parts.append(f"{store.skipped} history capture(s) skipped (writer behind)")
    return "; ".join(parts)


# Pruning edits Anthropic Messages bodies only: its rules (cache breakpoints, tool_use/tool_result
# pairing) are Anthropic's, so Codex and Gemini requests pass unpruned.
PRUNE_SCOPE = "Claude Code (Anthropic Messages, the /v1 mount) only; Codex and Gemini CLI requests are never pruned"


def read_prune_report(read, session_id=None, table=None):
    """prune_report() of the store; read: a function running fn(conn) on it."""
    return prune_report(read(lambda c: queries.prune_report(c, session_id=session_id)),
                        read(lambda c: queries.prune_savings(c, session_id=session_id)), table)


def prune_report(rows, saving_rows=(), table=None):
    """Pruning edits per strategy and decision, with totals of what was really removed: edits
    applied on a request, and those re-applied from an earlier request of the session (sticky);
    and the measured savings per tier and model in tokens and dollars (relay/costs/prune_savings.py)."""
    applied = [r for r in rows if r["decision"] in ("applied", "sticky")]
    return {
        "savings": prune_savings.summarize(saving_rows, table or prices.load()),
        "by_strategy": rows,
        "applied": {"edits": sum(r["edits"] for r in applied),
                    "bytes_removed": sum(r["bytes_removed"] for r in applied),
                    "tokens_removed": sum(r["tokens_removed"] for r in applied),
                    "cost_delta": round(sum(r["cost_delta"] for r in applied), 3)},
        "cost_unit": "input tokens at the model's base input price (negative saves money)",
        "applies_to": PRUNE_SCOPE,
    }
