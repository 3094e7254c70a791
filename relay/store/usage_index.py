"""SQL for `message_usage` (migration m005): per-message token rows of the session index.

Writes keep one invariant: among rows with the same dedup_key exactly one has canonical = 1
(rows without a key are always canonical). Removing a canonical row promotes a copy from
another file, so deleting a session never loses a message a resumed session also holds.
Reads sum canonical rows only, grouped in SQL; pricing happens in relay.costs.reports.
"""
from operator import itemgetter

COLUMNS = ("session_key", "path", "provider", "session_id", "project", "message_id", "request_id", "dedup_key",
           "canonical", "model", "ts", "day", "input_tokens", "output_tokens", "cache_creation_tokens",
           "cache_write_5m", "cache_write_1h", "cache_read_tokens", "unsplit", "prompt_tokens")
_VALUES = tuple(c for c in COLUMNS if c != "canonical")
_values = itemgetter(*_VALUES)
TOKENS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_write_5m", "cache_write_1h",
          "cache_read_tokens", "unsplit")


def _remove(conn, column, value):
    """Delete the rows whose `column` (session_key or path) is `value`, first promoting a copy
    held elsewhere of each canonical one."""
    conn.execute(f"""
        UPDATE message_usage SET canonical = 1 WHERE rowid IN (
            SELECT MIN(rowid) FROM message_usage
            WHERE {column} != ? AND dedup_key IN (SELECT dedup_key FROM message_usage
                                                  WHERE {column} = ? AND canonical = 1 AND dedup_key IS NOT NULL)
            GROUP BY dedup_key)""", (value, value))
    conn.execute(f"DELETE FROM message_usage WHERE {column} = ?", (value,))


def delete_sessions(conn, keys):
    for key in keys:
        _remove(conn, "session_key", key)


def delete_paths(conn, paths):
    for path in paths:
        _remove(conn, "path", path)


def replace_session(conn, key, rows):
    """The message rows of one session, replacing what it had."""
    if conn.execute("SELECT 1 FROM message_usage WHERE session_key = ? LIMIT 1", (key,)).fetchone():
        _remove(conn, "session_key", key)       # a new session (every one on a first run) has nothing to remove
    keys = list({row["dedup_key"] for row in rows if row["dedup_key"] is not None})
    taken: set[str] = set()       # keys with a canonical row already: in another session, or earlier in `rows`
    for i in range(0, len(keys), 500):
        part = keys[i:i + 500]
        taken.update(k for (k,) in conn.execute(
            f"SELECT dedup_key FROM message_usage WHERE canonical = 1 AND dedup_key IN ({','.join('?' * len(part))})",
            part))
    values = []
    for row in rows:
        canonical, dedup = 1, row["dedup_key"]
        if dedup is not None:
            canonical = 0 if dedup in taken else 1
            taken.add(dedup)
        values.append((canonical, *_values(row)))
    conn.executemany(f"INSERT INTO message_usage (canonical, {', '.join(_VALUES)}) "
                     f"VALUES ({', '.join('?' * len(COLUMNS))})", values)


def _filters(providers, since_day, until_day, span=None, project=None):
    """WHERE over canonical rows. `span`: (since_ts, until_ts) epoch bounds, until exclusive,
    either None. `project`: a Claude Code project
    directory name (ccusage's project) or a session's working directory."""
    clauses, args = ["canonical = 1"], []
    if providers:
        clauses.append(f"provider IN ({','.join('?' * len(providers))})")
        args += list(providers)
    if since_day:
        clauses.append("day >= ?")
        args.append(since_day)
    if until_day:
        clauses.append("day <= ?")
        args.append(until_day)
    since_ts, until_ts = span or (None, None)
    if since_ts is not None:    # `day` is ts's UTC day, so the indexed column narrows first
        clauses += ["day >= date(?, 'unixepoch')", "ts >= ?"]
        args += [since_ts, since_ts]
    if until_ts is not None:
        clauses += ["day <= date(?, 'unixepoch')", "ts < ?"]
        args += [until_ts, until_ts]
    if project:
        like = project.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("(project = ? OR path LIKE ? ESCAPE '\\' OR path LIKE ? ESCAPE '\\')")
        args += [project, f"%/projects/{like}/%", f"%\\projects\\{like}\\%"]
    return " AND ".join(clauses), args


_SUMS = ", ".join(f"SUM({c}) AS {c}" for c in TOKENS)
GROUPS = {"day": "day", "month": "substr(day, 1, 7)", "session": "session_id"}


def day_expr(pieces):
    """SQL for a row's calendar day in a zone given as offset pieces (relay.times.offset_pieces):
    the stored UTC `day` when the zone is UTC over the whole span, else the date of ts shifted by
    the offset in force at ts. Returns (sql, args)."""
    if all(offset == 0 for _, offset in pieces):
        return "day", []
    if len(pieces) == 1:
        return "date(ts + ?, 'unixepoch')", [pieces[0][1]]
    cases = " ".join("WHEN ts < ? THEN ?" for _ in pieces[1:])
    args = [v for (start, _), (_, offset) in zip(pieces[1:], pieces) for v in (start, offset)]
    return f"date(ts + CASE {cases} ELSE ? END, 'unixepoch')", args + [pieces[-1][1]]


def day_range(conn):
    """(first, last) UTC day of any row, from the day index (no table scan); (None, None) when empty."""
    return tuple(conn.execute("SELECT MIN(day), MAX(day) FROM message_usage").fetchone())


def grouped(conn, by, long_threshold, providers=None, since_day=None, until_day=None, day=None, span=None,
            project=None, by_path=False):
    """Token sums of canonical rows per (group, model, prompt over the long-context threshold),
    with the group's latest timestamp and project: what daily/monthly/session reports price.
    `day`: (sql, args) of day_expr, grouping by a zone's day instead of `by`; by_path adds the
    file to the key (ccusage's --instances names a project by its directory)."""
    where, args = _filters(providers, since_day, until_day, span, project)
    key, key_args = day if day is not None else (GROUPS[by], [])
    cur = conn.execute(f"""
        SELECT {key} AS grp, model, prompt_tokens > ? AS long, COUNT(*) AS messages, MAX(ts) AS last_ts,
               MIN(ts) AS first_ts, MAX(project) AS project{', path' if by_path else ''}, {_SUMS}
        FROM message_usage WHERE {where} GROUP BY grp, model, long{', path' if by_path else ''}""",
                       key_args + [long_threshold] + args)
    return [dict(row) for row in cur]


def rows(conn, providers=None, since_day=None, until_day=None, since_ts=None, model=None, session_id=None, span=None,
         project=None):
    """Canonical rows in time order (blocks, `relay cost`, turns, and models priced row by row)."""
    where, args = _filters(providers, since_day, until_day, span, project)
    if session_id is not None:
        where += " AND session_id = ?"
        args.append(session_id)
    if since_ts is not None:
        where += " AND ts >= ?"
        args.append(since_ts)
    if model is not None:
        where += " AND model IS ?"
        args.append(model)
    cur = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM message_usage WHERE {where} ORDER BY ts, rowid", args)
    return [dict(row) for row in cur]
