"""Append-only schema migrations.

Each migration is a function `mNNN_name(conn)` registered in MIGRATIONS; the name is its identity.
Each runs in its own transaction together with its row in `_relay_migrations`. An applied
migration is never edited: add a new one. Migrations use SQL only, never relay's models.
"""
import sqlite3
import time
from collections.abc import Callable

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []


def migration(fn):
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_exchanges(conn):
    conn.execute("""
        CREATE TABLE exchanges (
            id TEXT PRIMARY KEY,
            ts REAL NOT NULL,
            provider TEXT NOT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            model TEXT,
            session_id TEXT,
            client TEXT,
            status INTEGER,
            stream INTEGER NOT NULL DEFAULT 0,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_creation_5m_input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_creation_1h_input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens INTEGER NOT NULL DEFAULT 0,
            stop_reason TEXT,
            message_id TEXT,
            request_id TEXT,
            ttfb_ms REAL,
            duration_ms REAL,
            outcome TEXT,
            error TEXT,
            ratelimit TEXT NOT NULL DEFAULT '{}',
            request_bytes INTEGER NOT NULL DEFAULT 0,
            response_bytes INTEGER NOT NULL DEFAULT 0
        )""")
    conn.execute("CREATE INDEX exchanges_ts ON exchanges(ts)")
    conn.execute("CREATE INDEX exchanges_session ON exchanges(session_id, ts)")


@migration
def m003_prune_edits(conn):
    conn.execute("""
        CREATE TABLE prune_edits (
            exchange_id TEXT NOT NULL,
            ts REAL NOT NULL,
            session_id TEXT,
            tier TEXT NOT NULL,
            strategy TEXT NOT NULL,
            decision TEXT NOT NULL,
            action TEXT NOT NULL,
            chars_removed INTEGER NOT NULL,
            tokens_removed INTEGER NOT NULL,
            bytes_removed INTEGER NOT NULL,
            cost_delta REAL NOT NULL,
            note TEXT
        )""")
    conn.execute("CREATE INDEX prune_edits_session ON prune_edits(session_id, ts)")
    conn.execute("CREATE INDEX prune_edits_exchange ON prune_edits(exchange_id)")


def applied(conn):
    conn.execute("CREATE TABLE IF NOT EXISTS _relay_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    return {row[0] for row in conn.execute("SELECT name FROM _relay_migrations")}


def migrate(conn):
    """Apply every pending migration; returns the names applied now."""
    done = applied(conn)
    ran = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        with conn:
            fn(conn)
            conn.execute("INSERT INTO _relay_migrations(name, applied_at) VALUES (?, ?)", (fn.__name__, time.time()))
        ran.append(fn.__name__)
    return ran


def schema_version(conn):
    return len(applied(conn))


def latest_version():
    return len(MIGRATIONS)


@migration
def m002_session_index(conn):
    # One row per session file: what `relay scan` needs to skip or resume it without reading it.
    conn.execute("""
        CREATE TABLE session_files (
            path TEXT PRIMARY KEY,
            session_key TEXT NOT NULL,
            provider TEXT NOT NULL,
            role TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            tail_hash TEXT,
            parser_version INTEGER NOT NULL,
            scanned_at REAL NOT NULL
        )""")
    conn.execute("CREATE INDEX session_files_key ON session_files(session_key)")
    # One row per session (its files grouped): the aggregates, composition and findings as of the
    # last parse, so an unchanged session is listed without re-running parsers or detectors.
    conn.execute("""
        CREATE TABLE session_index (
            session_key TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            session_id TEXT NOT NULL,
            path TEXT NOT NULL,
            project TEXT,
            started TEXT,
            ended TEXT,
            turns INTEGER NOT NULL DEFAULT 0,
            total_tokens INTEGER NOT NULL DEFAULT 0,
            tokens TEXT NOT NULL DEFAULT '{}',
            composition TEXT NOT NULL DEFAULT '{}',
            findings TEXT NOT NULL DEFAULT '[]',
            worst_severity TEXT,
            parse_stats TEXT NOT NULL DEFAULT '{}',
            analyzed_at REAL NOT NULL
        )""")
    conn.execute("CREATE INDEX session_index_provider ON session_index(provider, ended)")
    conn.execute("CREATE INDEX session_index_session_id ON session_index(session_id)")


@migration
def m004_history(conn):
    # Content-addressed pieces of captured requests and responses: sha256 of the raw bytes ->
    # zlib-compressed bytes, so a system prompt, a tool schema or a message is stored once.
    conn.execute("""
        CREATE TABLE history_blobs (
            hash TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            data BLOB NOT NULL
        )""")
    # One row per captured request of a session. kind 'full': `messages` lists every message
    # hash; 'delta': the first base_count messages are the previous turn's, `messages` the rest.
    conn.execute("""
        CREATE TABLE history_turns (
            session_id TEXT NOT NULL,
            turn INTEGER NOT NULL,
            exchange_id TEXT NOT NULL,
            ts REAL NOT NULL,
            kind TEXT NOT NULL,
            reason TEXT,
            base_count INTEGER NOT NULL,
            message_count INTEGER NOT NULL,
            frame TEXT NOT NULL,
            layout TEXT,
            messages TEXT NOT NULL,
            response TEXT,
            body_bytes INTEGER NOT NULL,
            est_tokens INTEGER NOT NULL,
            measured_tokens INTEGER,
            cache_creation_tokens INTEGER,
            composition TEXT,
            PRIMARY KEY (session_id, turn)
        )""")
    conn.execute("CREATE INDEX history_turns_exchange ON history_turns(exchange_id)")
    conn.execute("""
        CREATE TABLE history_compactions (
            session_id TEXT NOT NULL,
            turn INTEGER NOT NULL,
            exchange_id TEXT NOT NULL,
            ts REAL NOT NULL,
            signals TEXT NOT NULL,
            messages_before INTEGER,
            messages_after INTEGER,
            tokens_before_est INTEGER,
            tokens_after_est INTEGER,
            tokens_before_measured INTEGER,
            tokens_after_measured INTEGER,
            cache_write_after INTEGER,
            PRIMARY KEY (session_id, turn)
        )""")


@migration
def m005_message_usage(conn):
    # One row per assistant message with usage, per session file (Claude Code's split lines are
    # already merged by the parser): what `relay report` and `relay cost` sum without re-reading
    # files. The same message copied into another file (a resumed session) has the same
    # dedup_key (message id + request id, or the message id alone); exactly one row per key has
    # canonical = 1, and reports read only those. cache_write_5m holds the 5m split plus any
    # part of the lump the split does not cover (priced at the 5m rate, counted in `unsplit`).
    conn.execute("""
        CREATE TABLE message_usage (
            session_key TEXT NOT NULL,
            path TEXT NOT NULL,
            provider TEXT NOT NULL,
            session_id TEXT NOT NULL,
            project TEXT,
            message_id TEXT,
            request_id TEXT,
            dedup_key TEXT,
            canonical INTEGER NOT NULL,
            model TEXT,
            ts REAL NOT NULL,
            day TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_creation_tokens INTEGER NOT NULL,
            cache_write_5m INTEGER NOT NULL,
            cache_write_1h INTEGER NOT NULL,
            cache_read_tokens INTEGER NOT NULL,
            unsplit INTEGER NOT NULL,
            prompt_tokens INTEGER NOT NULL
        )""")
    conn.execute("CREATE INDEX message_usage_session ON message_usage(session_key)")
    conn.execute("CREATE INDEX message_usage_path ON message_usage(path)")
    # No index leads with `canonical`: with one, SQLite picks it for "dedup_key = ? AND
    # canonical = 1" and scans every canonical row per inserted message.
    conn.execute("CREATE INDEX message_usage_dedup ON message_usage(dedup_key, canonical)")
    conn.execute("CREATE INDEX message_usage_day ON message_usage(day)")
    # Files indexed before this table existed have no message rows: forget their stat so the
    # next index update parses each once more and fills it.
    conn.execute("DELETE FROM session_files")


@migration
def m006_delegations(conn):
    # One row per attempt to run a task on a CLI (relay delegate, MCP cli_delegate/orch_delegate);
    # a routed task that fell back has one row per CLI tried, sharing `task_id`.
    conn.execute("""
        CREATE TABLE delegations (
            id TEXT PRIMARY KEY,
            task_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            ts REAL NOT NULL,
            task TEXT NOT NULL,
            cli TEXT NOT NULL,
            strategy TEXT NOT NULL,
            cwd TEXT,
            status TEXT NOT NULL,
            exit_code INTEGER,
            duration_ms REAL NOT NULL,
            output_bytes INTEGER NOT NULL DEFAULT 0,
            input_tokens INTEGER,
            output_tokens INTEGER,
            total_tokens INTEGER,
            error TEXT
        )""")
    conn.execute("CREATE INDEX delegations_ts ON delegations(ts)")
    conn.execute("CREATE INDEX delegations_task ON delegations(task_id, attempt)")


@migration
def m007_client_name_claude(conn):
    # The Claude Code client is named "claude" everywhere now (as codex and gemini are named by
    # their binary); rows indexed before carry "claude-code" as provider and key prefix. The
    # parser state version went up with this rename, so each file is also parsed once more.
    prefix = len("claude-code:") + 1
    for table in ("session_files", "session_index", "message_usage"):
        conn.execute(f"UPDATE {table} SET provider = 'claude', "
                     f"session_key = 'claude:' || substr(session_key, {prefix}) "
                     "WHERE provider = 'claude-code' AND session_key LIKE 'claude-code:%'")
        conn.execute(f"UPDATE {table} SET provider = 'claude' WHERE provider = 'claude-code'")


@migration
def m008_i15_client_cli(conn):
    # Which CLI sent each exchange. Rows from before are named the way the proxy names new ones:
    # by the user agent when it names a CLI, else by the mount's wire API.
    conn.execute("ALTER TABLE exchanges ADD COLUMN cli TEXT")
    conn.execute("""
        UPDATE exchanges SET cli = CASE
            WHEN client LIKE 'claude-cli/%' THEN 'claude'
            WHEN client LIKE 'codex%' THEN 'codex'
            WHEN client LIKE 'GeminiCLI%' THEN 'gemini'
            WHEN provider = 'anthropic' THEN 'claude'
            WHEN provider = 'openai' THEN 'codex'
            WHEN provider = 'gemini' THEN 'gemini' END""")


_TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_creation_5m_input_tokens",
                  "cache_creation_1h_input_tokens", "cache_read_input_tokens", "reasoning_tokens")


@migration
def m009_i16b_exchange_bounds(conn):
    # Token counts are validated before they are written now (relay.models.validate_exchange);
    # rows an older relay stored as upstream sent them (negative, fractional, near 2**63, which
    # makes every SUM over the table fail) are clamped the same way, the raw value kept in
    # `invalid`. 4294967295 is relay.models.MAX_TOKENS, written out: migrations never change.
    conn.execute("ALTER TABLE exchanges ADD COLUMN invalid TEXT")
    for col in _TOKEN_COLUMNS:
        bad = f"({col} IS NOT NULL AND (typeof({col}) != 'integer' OR {col} < 0 OR {col} > 4294967295))"
        conn.execute(f"UPDATE exchanges SET invalid = json_set(COALESCE(invalid, '{{}}'), '$.{col}', "
                     f"CAST({col} AS TEXT)) WHERE {bad}")
        conn.execute(f"UPDATE exchanges SET {col} = CASE WHEN typeof({col}) NOT IN ('integer', 'real') THEN 0 "
                     f"WHEN {col} < 0 THEN 0 WHEN {col} > 4294967295 THEN 4294967295 "
                     f"ELSE CAST({col} AS INTEGER) END WHERE {bad}")


@migration
def m010_i21_origin(conn):
    # Several relays (one per developer machine) may write to one PostgreSQL database: each
    # exchange and delegation names the machine (hostname) and OS user of the relay that wrote it.
    # Rows from before stay NULL: they were written by the only relay there was.
    for table in ("exchanges", "delegations"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN machine TEXT")
        conn.execute(f"ALTER TABLE {table} ADD COLUMN os_user TEXT")
    conn.execute("CREATE INDEX exchanges_origin ON exchanges(machine, os_user, ts)")


@migration
def m011_i20_prune_savings(conn):
    # One row per pruned request whose response reported usage: the unpruned body's billing
    # split as relay estimates it (before_*) and upstream's usage for the body sent (after_*),
    # so `relay prune report` can price both (relay/proxy/stages/prune/savings.py).
    conn.execute("""
        CREATE TABLE prune_savings (
            exchange_id TEXT NOT NULL,
            ts REAL NOT NULL,
            session_id TEXT,
            tier TEXT NOT NULL,
            model TEXT,
            before_input INTEGER NOT NULL,
            before_cache_read INTEGER NOT NULL,
            before_cache_write_5m INTEGER NOT NULL,
            before_cache_write_1h INTEGER NOT NULL,
            after_input INTEGER NOT NULL,
            after_cache_read INTEGER NOT NULL,
            after_cache_write_5m INTEGER NOT NULL,
            after_cache_write_1h INTEGER NOT NULL
        )""")
    conn.execute("CREATE INDEX prune_savings_session ON prune_savings(session_id, ts)")
