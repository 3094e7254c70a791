"""The only code that shapes view data: API, pages, SSE fragments, MCP and `relay top` use it."""
import time

from relay import __version__


def exchange(ex):
    """One recorded request as every reader shows it."""
    return ex.to_dict()


def health(settings, store_path, started_at, counts, upstreams):
    return {
        "version": __version__,
        "uptime_s": round(time.time() - started_at, 3),
        "db_path": str(store_path),
        "upstream": upstreams,
        "counts": counts,
    }


def prune_report(rows):
    """Pruning edits per strategy and decision, with totals of what was really removed."""
    applied = [r for r in rows if r["decision"] == "applied"]
    return {
        "by_strategy": rows,
        "applied": {"edits": sum(r["edits"] for r in applied),
                    "bytes_removed": sum(r["bytes_removed"] for r in applied),
                    "tokens_removed": sum(r["tokens_removed"] for r in applied),
                    "cost_delta": round(sum(r["cost_delta"] for r in applied), 3)},
        "cost_unit": "input tokens at the model's base input price (negative saves money)",
    }
