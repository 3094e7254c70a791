"""Orchestration: installed CLIs (versions, auth state by name only) and delegations."""
from relay.orch import discover
from relay.store import delegation_queries

RECENT_DELEGATIONS = 10


def cli_status(items):
    """/api/v1/cli/status and MCP cli_status: every known CLI, installed or not. Auth is a state
    and the names of env vars / files that hold credentials, never their values."""
    return {"clis": items, "installed": [c["name"] for c in items if c["installed"]]}


def delegation(row):
    """One recorded delegation attempt."""
    return {k: row.get(k) for k in ("id", "task_id", "attempt", "ts", "task", "cli", "strategy", "cwd", "status",
                                    "exit_code", "duration_ms", "output_bytes", "input_tokens", "output_tokens",
                                    "total_tokens", "error")}


def delegation_result(result):
    """`relay delegate` and MCP cli_delegate/orch_delegate: the answer and every attempt."""
    attempts = [{**delegation(a), "stderr_tail": (a.get("stderr") or "")[-1000:]} for a in result["attempts"]]
    return {"task_id": result["task_id"], "strategy": result["strategy"], "status": result["status"],
            "cli": result["cli"], "output": result["output"], "attempts": attempts}


def delegation_stats(rows):
    """Per CLI counts, success rate and averages, plus totals."""
    out = []
    for r in rows:
        attempts = r["attempts"] or 0
        out.append({**r, "success_rate": round((r["ok"] or 0) / attempts, 3) if attempts else None,
                    "avg_duration_ms": None if r["avg_duration_ms"] is None else round(r["avg_duration_ms"], 1)})
    return {"by_cli": out, "total": {"attempts": sum(r["attempts"] for r in rows),
                                     "ok": sum(r["ok"] or 0 for r in rows)}}


def delegation_history(recent, stats):
    """The dashboard's delegations: the newest attempts and the per-CLI statistics."""
    return {"recent": [delegation(r) for r in recent], "stats": delegation_stats(stats)}


def installed(ctx):
    """Installed CLIs, versions and auth state through the context's discovery cache (one
    `--version` per CLI per minute at most)."""
    if ctx.cli_cache is None:
        ctx.cli_cache = discover.Cache()
    return cli_status(ctx.cli_cache.get())


def delegations(ctx, limit=RECENT_DELEGATIONS):
    """The newest delegation attempts and the per-CLI statistics."""
    recent, stats = ctx.store.read(lambda c: (delegation_queries.list_delegations(c, limit=limit),
                                              delegation_queries.stats(c)))
    return delegation_history(recent, stats)
