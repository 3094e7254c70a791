"""PostgreSQL behind the Store interface: relay's SQL is written for SQLite and adapted here, in one
place, so the migrations and queries stay one list and one set of functions.

`translate` rewrites a statement for PostgreSQL (placeholders, INSERT OR IGNORE/REPLACE, SQLite's
scalar MAX/MIN, GROUP_CONCAT, date(x, 'unixepoch'), column types, the implicit rowid of the tables
whose queries order or page by it). What a rewrite cannot express is a function created by
PRELUDE (sum over booleans, typeof, json_valid/json_extract/json_set), so the SQL keeps one shape.
Rows come back as `Row`: indexable by position and by name, like sqlite3.Row, with numeric sums
turned back into int or float as SQLite returns them.
"""
import decimal
import functools
import re
import sys
from urllib.parse import urlsplit, urlunsplit

# Tables whose queries use SQLite's implicit rowid: PostgreSQL gets an identity column by that name.
ROWID_TABLES = {"exchanges", "message_usage"}
# The conflict target of INSERT OR REPLACE, per table (its primary key).
PRIMARY_KEYS = {"exchanges": "id", "delegations": "id", "session_files": "path", "session_index": "session_key",
                "history_blobs": "hash", "history_turns": "session_id, turn",
                "history_compactions": "session_id, turn", "_relay_migrations": "name"}
_TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "BLOB": "BYTEA"}

PRELUDE = [
    # SQLite sums comparisons (true = 1); so does this aggregate.
    """CREATE OR REPLACE FUNCTION relay_sum_bool(bigint, boolean) RETURNS bigint LANGUAGE sql IMMUTABLE AS
       'SELECT COALESCE($1, 0) + CASE WHEN $2 THEN 1 ELSE 0 END'""",
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
                        WHERE p.proname = 'sum' AND p.proargtypes[0] = 'boolean'::regtype) THEN
           CREATE AGGREGATE sum(boolean) (SFUNC = relay_sum_bool, STYPE = bigint);
         END IF; END $$""",
    "CREATE OR REPLACE FUNCTION typeof(bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT 'integer'$$",
    "CREATE OR REPLACE FUNCTION typeof(double precision) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT 'real'$$",
    "CREATE OR REPLACE FUNCTION typeof(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT 'text'$$",
    """CREATE OR REPLACE FUNCTION json_valid(text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
       BEGIN PERFORM $1::jsonb; RETURN true; EXCEPTION WHEN others THEN RETURN false; END $$""",
    # Only the paths relay writes: '$.key' and '$."quoted key"'.
    """CREATE OR REPLACE FUNCTION relay_json_key(text) RETURNS text LANGUAGE sql IMMUTABLE AS
       $$SELECT CASE WHEN substr($1, 3, 1) = '"' THEN substr($1, 4, length($1) - 4) ELSE substr($1, 3) END$$""",
    """CREATE OR REPLACE FUNCTION json_extract(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS
       $$SELECT ($1::jsonb) ->> relay_json_key($2)$$""",
    """CREATE OR REPLACE FUNCTION json_set(text, text, text) RETURNS text LANGUAGE sql IMMUTABLE AS
       $$SELECT jsonb_set($1::jsonb, ARRAY[relay_json_key($2)], to_jsonb($3))::text$$""",
]

WRITE_LOCK = 72657281   # the advisory lock every writer's transaction holds
_LITERAL = re.compile(r"('(?:[^']|'')*')")


def _split_args(text):
    """Top-level comma-separated arguments of a call's inside."""
    args, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[start:i])
            start = i + 1
    args.append(text[start:])
    return args


def _calls(sql, name, rewrite):
    """Replace each call `name(...)` (case-insensitive) by rewrite(args) unless it returns None."""
    pattern = re.compile(rf"\b{name}\s*\(", re.IGNORECASE)
    out, pos = [], 0
    while True:
        match = pattern.search(sql, pos)
        if match is None:
            out.append(sql[pos:])
            return "".join(out)
        depth, end = 1, match.end()
        while depth and end < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            end += 1
        inner = sql[match.end():end - 1]
        replaced = rewrite(_split_args(_calls(inner, name, rewrite)))
        out.append(sql[pos:match.start()])
        out.append(sql[match.start():end] if replaced is None else replaced)
        pos = end


def _greatest(word):
    return lambda args: f"{word}({','.join(args)})" if len(args) > 1 else None


_UNIXEPOCH = "\x01unixepoch\x01"   # the literal 'unixepoch' while the rest of a statement is rewritten


def _unixepoch_day(args):
    if len(args) == 2 and args[1].strip() == _UNIXEPOCH:
        return f"to_char(to_timestamp({args[0]}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    return None


def _insert(sql):
    match = re.match(r"\s*INSERT OR (IGNORE|REPLACE) INTO (\w+)\s*\(([^)]*)\)", sql, re.IGNORECASE)
    if match is None:
        return sql
    kind, table, cols = match.group(1).upper(), match.group(2), [c.strip() for c in match.group(3).split(",")]
    body = f"INSERT INTO {table} ({', '.join(cols)})" + sql[match.end():]
    if kind == "IGNORE":
        return body + " ON CONFLICT DO NOTHING"
    key = PRIMARY_KEYS[table]
    keys = {k.strip() for k in key.split(",")}
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c not in keys)
    return body + f" ON CONFLICT ({key}) DO " + (f"UPDATE SET {sets}" if sets else "NOTHING")


def _create(sql):
    match = re.match(r"\s*CREATE TABLE (IF NOT EXISTS )?(\w+)\s*\(", sql, re.IGNORECASE)
    if match is None and not re.match(r"\s*ALTER TABLE", sql, re.IGNORECASE):
        return sql
    sql = re.sub(r"\b(INTEGER|REAL|BLOB)\b", lambda m: _TYPES[m.group(1)], sql)
    if match and match.group(2) in ROWID_TABLES:
        sql = sql[:match.end()] + "rowid BIGINT GENERATED BY DEFAULT AS IDENTITY UNIQUE, " + sql[match.end():]
    return sql


def _cast(args):
    # SQLite's CAST(real AS INTEGER) truncates; PostgreSQL's rounds
    match = re.fullmatch(r"(.*)\s+AS\s+INTEGER\s*", args[0], re.IGNORECASE | re.DOTALL)
    return f"CAST(trunc({match.group(1)}) AS BIGINT)" if match and len(args) == 1 else None


def _outside(code):
    code = code.replace("%", "%%").replace("?", "%s")
    code = _calls(code, "CAST", _cast)
    # a column session_files has; a reserved word in PostgreSQL (relay's SQL writes keywords in capitals)
    code = re.sub(r"\boffset\b", '"offset"', code)
    code = _calls(code, "MAX", _greatest("GREATEST"))
    code = _calls(code, "MIN", _greatest("LEAST"))
    code = _calls(code, "date", _unixepoch_day)
    code = re.sub(r"GROUP_CONCAT\(DISTINCT (\w+)\)", r"string_agg(DISTINCT \1, ',')", code, flags=re.IGNORECASE)
    return code


@functools.lru_cache(maxsize=2048)
def translate(sql):
    """The statement in PostgreSQL's dialect, with psycopg's %s placeholders."""
    # String literals are set aside while the rest is rewritten (a call may span one: date(?,
    # 'unixepoch')), then put back with only their % escaped for psycopg.
    literals: list[str] = []

    def keep(match):
        if match.group(0) == "'unixepoch'":
            return _UNIXEPOCH
        literals.append(match.group(0).replace("%", "%%"))
        return f"\x00{len(literals) - 1}\x00"

    code = _outside(_LITERAL.sub(keep, sql))
    return _create(_insert(re.sub("\x00(\\d+)\x00", lambda m: literals[int(m.group(1))], code)))


def _plain(value):
    # SQLite sums integers to an integer; PostgreSQL's SUM(bigint) is numeric
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent   # 0 for a SUM of integers; AVG has a scale
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


class Row(tuple):
    """A result row readable as row[0] and row["name"], as sqlite3.Row is."""

    _names: dict

    def __new__(cls, names, values):
        row = super().__new__(cls, [_plain(v) for v in values])
        row._names = names
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self):
        return list(self._names)


def _row_factory(cursor):
    names = {d.name: i for i, d in enumerate(cursor.description or ())}
    return lambda values: Row(names, values)


class Cursor:
    def __init__(self, cur):
        self._cur = cur

    @property
    def rowcount(self):
        return self._cur.rowcount

    def fetchone(self):
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self):
        return self._cur.fetchall() if self._cur.description else []

    def __iter__(self):
        return iter(self.fetchall())


class Connection:
    """A psycopg connection in autocommit mode that takes relay's SQLite-dialect statements; BEGIN,
    COMMIT and ROLLBACK are sent as written, and `with conn:` is one transaction (as in sqlite3)."""

    def __init__(self, raw):
        self.raw = raw

    def execute(self, sql, args=()):
        if sql == "BEGIN IMMEDIATE":
            # SQLite's write lock, taken at once: with it, the relays sharing a database commit one
            # at a time, so rowids become visible in order (relay.store.totals_queries reads new
            # rows by rowid mark; a row committed below a mark already read would never be counted).
            self.raw.execute("BEGIN")
            return Cursor(self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,)))
        if sql == "BEGIN":
            # a reader's BEGIN asks for one snapshot across its queries, as a SQLite read transaction gives
            return Cursor(self.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ"))
        return Cursor(self.raw.execute(translate(sql), tuple(args)))

    def commit(self):
        self.raw.execute("COMMIT")

    def rollback(self):
        self.raw.execute("ROLLBACK")

    def executemany(self, sql, rows):
        with self.raw.cursor() as cur:
            cur.executemany(translate(sql), [tuple(r) for r in rows])
            return Cursor(cur)

    def __enter__(self):
        self.raw.execute("BEGIN")
        return self

    def __exit__(self, kind, exc, tb):
        self.raw.execute("ROLLBACK" if kind else "COMMIT")
        return False

    def close(self):
        self.raw.close()


def shown(url):
    """The URL with its password masked (in the user part and a password= parameter), for the
    startup line and `relay config`."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hostport = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    query = "&".join("password=***" if pair.split("=", 1)[0] == "password" else pair
                     for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def is_url(url):
    return bool(url) and url.split(":", 1)[0] in ("postgresql", "postgres")


def _psycopg():
    try:
        # optional (the `postgres` extra): a SQLite-only install never loads it
        import psycopg
        import psycopg_pool
    except ImportError as exc:
        raise ImportError("database_url names PostgreSQL but psycopg is not installed: "
                          "pip install 'relay[postgres]' (psycopg[binary] and psycopg_pool)") from exc
    return psycopg, psycopg_pool


def connect(url, readonly=False):
    psycopg, _ = _psycopg()
    raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory,
                          options="-c default_transaction_read_only=on" if readonly else None)
    return Connection(raw)


def probe(url, timeout=5):
    """(server version, names of the applied migrations or None when relay's schema is not
    there yet), read on a read-only connection, for `relay doctor`. Raises ImportError without
    psycopg and psycopg's errors when the server cannot be reached."""
    psycopg, _ = _psycopg()
    # libpq waits at least 2 s whatever is asked; a doctor must still answer promptly
    with psycopg.connect(url, autocommit=True, connect_timeout=max(2, int(timeout)),
                         options="-c default_transaction_read_only=on") as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        present = conn.execute("SELECT to_regclass('_relay_migrations')").fetchone()[0]
        applied = {r[0] for r in conn.execute("SELECT name FROM _relay_migrations")} if present else None
    return version, applied


def prepare(conn):
    """The functions relay's SQLite-dialect SQL relies on, created once per database."""
    with conn:
        conn.raw.execute("SELECT pg_advisory_xact_lock(72657279)")   # two relays starting at once
        for statement in PRELUDE:
            conn.raw.execute(statement)


def reader_pool(url):
    _, psycopg_pool = _psycopg()
    return psycopg_pool.ConnectionPool(
        url, min_size=1, max_size=8, open=True,
        kwargs={"autocommit": True, "row_factory": _row_factory,
                "options": "-c default_transaction_read_only=on"})


def transient(exc):
    """A write failed because the server went away or refused for now (not because of the task)."""
    psycopg = sys.modules.get("psycopg")   # never loaded: no PostgreSQL store, nothing of it failed
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)
