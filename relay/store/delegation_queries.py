"""Reads over the delegations table: history, per-CLI stats, the last CLI used (round robin)."""
from relay.store.queries import where


def list_delegations(conn, limit=50, cli=None, status=None, since=None):
    """Newest first; one row per attempt."""
    clause, args = where(("cli = ?", cli), ("status = ?", status), ("ts >= ?", since))
    sql = "SELECT * FROM delegations" + clause + " ORDER BY ts DESC, attempt DESC LIMIT ?"
    return [dict(r) for r in conn.execute(sql, [*args, int(limit)])]


def stats(conn, since=None):
    """Per CLI: attempts, successes, failures, timeouts, duration and token sums."""
    clause, args = where(("ts >= ?", since))
    rows = conn.execute(f"""
        SELECT cli, COUNT(*) AS attempts, SUM(status = 'ok') AS ok, SUM(status = 'failed') AS failed,
               SUM(status = 'timeout') AS timeout, SUM(status = 'error') AS error,
               AVG(duration_ms) AS avg_duration_ms, MAX(duration_ms) AS max_duration_ms,
               SUM(output_bytes) AS output_bytes, SUM(total_tokens) AS total_tokens,
               COUNT(DISTINCT task_id) AS tasks, MAX(ts) AS last_ts
        FROM delegations {clause} GROUP BY cli ORDER BY attempts DESC, cli""", args)
    return [dict(r) for r in rows]


def last_cli(conn):
    """The CLI of the newest successful attempt, or None."""
    row = conn.execute("SELECT cli FROM delegations WHERE status = 'ok' ORDER BY ts DESC LIMIT 1").fetchone()
    return row[0] if row else None
