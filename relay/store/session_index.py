"""SQL for the session index (tables `session_files` and `session_index`, migration m002).

Reads return plain dicts; writes take the dicts `relay.sessions.index` builds. Functions here
take a connection, so callers choose `store.read` or `store.write` (one transaction per batch).
"""
import json

from relay.store import usage_index

_FILE_COLUMNS = ("path", "session_key", "provider", "role", "size", "mtime_ns", "inode", "offset", "tail_hash",
                 "parser_version", "scanned_at")
_SESSION_COLUMNS = ("session_key", "provider", "session_id", "path", "project", "started", "ended", "turns",
                    "total_tokens", "tokens", "composition", "findings", "worst_severity", "parse_stats", "analyzed_at")
_JSON_COLUMNS = ("tokens", "composition", "findings", "parse_stats")


def _where_provider(providers):
    if not providers:
        return "", []
    return f" WHERE provider IN ({','.join('?' * len(providers))})", list(providers)


def file_rows(conn, providers=None):
    """path -> row dict of every indexed file of the providers."""
    where, args = _where_provider(providers)
    cur = conn.execute(f"SELECT {', '.join(_FILE_COLUMNS)} FROM session_files{where}", args)
    return {row[0]: dict(zip(_FILE_COLUMNS, row)) for row in cur}


def indexed_keys(conn, providers=None):
    where, args = _where_provider(providers)
    return {row[0] for row in conn.execute(f"SELECT session_key FROM session_index{where}", args)}


def list_sessions(conn, providers=None, session_id=None):
    """Session rows, newest activity first, JSON columns decoded."""
    where, args = _where_provider(providers)
    if session_id:
        where += (" AND" if where else " WHERE") + " (session_id = ? OR session_key = ?)"
        args += [session_id, session_id]
    cur = conn.execute(f"SELECT {', '.join(_SESSION_COLUMNS)} FROM session_index{where} "
                       "ORDER BY COALESCE(ended, started) DESC, session_key", args)
    rows = []
    for values in cur:
        row = dict(zip(_SESSION_COLUMNS, values))
        for name in _JSON_COLUMNS:
            row[name] = json.loads(row[name])
        rows.append(row)
    return rows


def _replace_files(conn, key, files, messages):
    usage_index.replace_session(conn, key, messages)
    conn.execute("DELETE FROM session_files WHERE session_key = ?", (key,))
    conn.executemany(f"INSERT OR REPLACE INTO session_files ({', '.join(_FILE_COLUMNS)}) "
                     f"VALUES ({', '.join('?' * len(_FILE_COLUMNS))})",
                     [tuple(f[c] for c in _FILE_COLUMNS) for f in files])


def save_group(conn, files, session, messages=()):
    """Replace the file rows of one session, its aggregate row and its message usage rows."""
    key = session["session_key"]
    _replace_files(conn, key, files, messages)
    values = [json.dumps(session[c], ensure_ascii=False, default=str) if c in _JSON_COLUMNS else session[c]
              for c in _SESSION_COLUMNS]
    conn.execute(f"INSERT OR REPLACE INTO session_index ({', '.join(_SESSION_COLUMNS)}) "
                 f"VALUES ({', '.join('?' * len(_SESSION_COLUMNS))})", values)


def save_usage(conn, key, files, messages):
    """Replace the file rows and message usage rows of one session read by the usage-first pass;
    an analysis row it had is dropped, being older than these files (a scan makes it again)."""
    _replace_files(conn, key, files, messages)
    conn.execute("DELETE FROM session_index WHERE session_key = ?", (key,))


def delete_files(conn, paths):
    usage_index.delete_paths(conn, paths)
    conn.executemany("DELETE FROM session_files WHERE path = ?", [(p,) for p in paths])


def delete_sessions(conn, keys):
    usage_index.delete_sessions(conn, keys)
    conn.executemany("DELETE FROM session_files WHERE session_key = ?", [(k,) for k in keys])
    conn.executemany("DELETE FROM session_index WHERE session_key = ?", [(k,) for k in keys])
