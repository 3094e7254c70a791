"""The store on SQLite and on PostgreSQL: one list of migrations giving the same schema, the writer's
guarantees and the core queries giving the same answers (backend_store runs each test on both),
rows marked with their machine and user, and a clear error when psycopg is missing."""
import json
import sqlite3
import sys
import threading

import pytest

from relay import config
from relay.errors import ConfigError, RelayError
from relay.models import Exchange, Usage
from relay.store import Store, delegation_queries, migrations, open_user_store, pg, queries, writes
from relay.store.writes import mark_unfinished, record_delegation, record_exchange_finish, record_exchange_start
from tests.run_relay import run_relay

# SQLite's declared types and what the PostgreSQL migrations make of them (relay.store.pg._TYPES).
_PG_TYPE = {"INTEGER": "bigint", "REAL": "double precision", "TEXT": "text", "BLOB": "bytea"}


def _exchange(n, **fields):
    base = {"id": f"x{n:04d}", "ts": 1_800_000_000.0 + n, "provider": "anthropic", "method": "POST",
            "path": "/v1/messages", "model": "claude-sonnet-4-5", "session_id": f"s{n % 3}"}
    return Exchange(**{**base, **fields})


def _sqlite_schema(path):
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    schema = {}
    for table in tables:
        schema[table] = {r[1]: (_PG_TYPE[r[2].upper()], bool(r[3]) or bool(r[5]))
                         for r in conn.execute(f"PRAGMA table_info({table})")}
    conn.close()
    return schema


def _pg_schema(store):
    rows = store.read(lambda c: c.execute(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_nullable FROM information_schema.columns c "
        "WHERE c.table_schema = 'public'").fetchall())
    schema: dict = {}
    for table, column, kind, nullable in rows:
        if column == "rowid" and table in pg.ROWID_TABLES:
            continue   # SQLite's implicit rowid, made explicit
        schema.setdefault(table, {})[column] = (kind, nullable == "NO")
    return schema


def test_the_same_migrations_make_the_same_schema_on_both(tmp_path, pg_url):
    Store(tmp_path / "r.db").close()
    store = Store(tmp_path / "unused.db", url=pg_url)
    try:
        on_pg = _pg_schema(store)
        applied = len(store.read(lambda c: c.execute("SELECT name FROM _relay_migrations").fetchall()))
    finally:
        store.close()
    on_sqlite = _sqlite_schema(tmp_path / "r.db")
    assert set(on_pg) == set(on_sqlite)
    for table, columns in on_sqlite.items():
        assert on_pg[table] == columns, table
    assert applied == migrations.latest_version()
    assert {"machine", "os_user"} <= set(on_pg["exchanges"]) and {"machine", "os_user"} <= set(on_pg["delegations"])


def test_a_second_store_on_the_same_database_migrates_nothing(pg_url, tmp_path):
    Store(tmp_path / "a.db", url=pg_url).close()
    store = Store(tmp_path / "b.db", url=pg_url)
    try:
        assert store.write(migrations.migrate) == []
    finally:
        store.close()


def test_writes_from_many_threads_are_all_committed(backend_store):
    store = backend_store.start()
    threads = [threading.Thread(target=lambda k=k: [store.submit(record_exchange_start(_exchange(k * 100 + i)))
                                                     for i in range(100)]) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.flush()
    assert store.read(queries.counts) == {"requests": 800, "sessions": 3, "in_flight": 800}


def test_a_finish_queued_before_its_start_is_not_overwritten(backend_store):
    store = backend_store
    store.submit(record_exchange_finish(_exchange(1, status=200, outcome="ok", usage=Usage(input_tokens=5))))
    store.submit(record_exchange_start(_exchange(1)))
    store.submit(record_exchange_start(_exchange(2)))
    store.submit(record_exchange_finish(_exchange(2, status=200, outcome="ok", usage=Usage(output_tokens=7))))
    store.flush()
    rows = {r.id: r for r in store.read(queries.list_exchanges)}
    assert rows["x0001"].outcome == "ok" and rows["x0001"].usage.input_tokens == 5
    assert rows["x0002"].outcome == "ok" and rows["x0002"].usage.output_tokens == 7


def test_a_bad_task_costs_only_itself(backend_store):
    store = backend_store.start()
    store.submit(record_exchange_start(_exchange(1)))
    store.submit(lambda conn: conn.execute("INSERT INTO no_such_table VALUES (1)"))
    store.submit(record_exchange_start(_exchange(2)))
    assert store.flush()
    assert store.read(queries.counts)["requests"] == 2


def test_rows_name_their_machine_and_user_and_a_relay_marks_only_its_own(backend_store, monkeypatch):
    store = backend_store
    store.submit(record_exchange_start(_exchange(1)))
    monkeypatch.setattr(writes, "ORIGIN", ("laptop-b", "bo"))
    store.submit(record_exchange_start(_exchange(2)))
    store.submit(record_delegation({"id": "d1", "task_id": "t1", "attempt": 1, "ts": 1.0, "task": "x", "cli": "codex",
                                    "strategy": "direct", "status": "ok", "duration_ms": 5.0, "output_bytes": 0}))
    store.flush()
    origins = store.read(lambda c: c.execute("SELECT id, machine, os_user FROM exchanges ORDER BY id").fetchall())
    assert [tuple(r) for r in origins][1] == ("x0002", "laptop-b", "bo")
    assert tuple(origins[0])[1:] == writes._origin()
    [delegation] = store.read(delegation_queries.list_delegations)
    assert (delegation["machine"], delegation["os_user"]) == ("laptop-b", "bo")
    # the relay of laptop-b restarting marks its own open row, not laptop-a's
    assert store.write(mark_unfinished(mine=True)) == 1
    assert {r.id: r.outcome for r in store.read(queries.list_exchanges)} == {"x0001": None, "x0002": "interrupted"}


def test_list_count_and_summary_queries_agree_on_both(backend_store):
    store = backend_store
    for n in range(1, 13):
        model = ("claude-sonnet-4-5", "claude-opus-4-6")[n % 2] if n != 2 else None
        store.submit(record_exchange_finish(_exchange(n, model=model, status=(200, 429, 500, 200)[n % 4],
                                                      outcome=None if n == 12 else "ok", stream=bool(n % 2),
                                                      usage=Usage(input_tokens=n, output_tokens=2 * n,
                                                                  cache_read_input_tokens=n * 10),
                                                      ratelimit={"anthropic-ratelimit-unified-5h-utilization":
                                                                 f"0.{n:02d}"})))
    store.submit(writes.record_prune_edits(_exchange(3), [
        {"tier": "gentle", "strategy": "dedupe", "decision": "applied", "action": "drop", "chars_removed": 10,
         "tokens_removed": 3, "bytes_removed": 10, "cost_delta": -0.5, "note": "100% of it"}]))
    for i, status in enumerate(("ok", "ok", "failed")):
        store.submit(record_delegation({"id": f"d{i}", "task_id": "t", "attempt": i, "ts": 5.0 + i, "task": "x",
                                        "cli": "codex", "strategy": "direct", "status": status,
                                        "duration_ms": 10.0 * (i + 1), "output_bytes": 3, "total_tokens": 4}))
    store.flush()
    newest = store.read(lambda c: queries.list_exchanges(c, limit=3))
    assert [r.id for r in newest] == ["x0012", "x0011", "x0010"]
    assert newest[1].stream is True and newest[1].ratelimit == {"anthropic-ratelimit-unified-5h-utilization": "0.11"}
    assert [r.id for r in store.read(lambda c: queries.list_exchanges(c, session_id="s1", before=1_800_000_008.0))] \
        == ["x0007", "x0004", "x0001"]
    assert store.read(lambda c: queries.get_exchange(c, "x0005")).usage.cache_read_input_tokens == 50
    assert store.read(queries.counts) == {"requests": 12, "sessions": 3, "in_flight": 1}
    assert store.read(lambda c: queries.count_since(c, 1_800_000_010.0)) == {"requests_today": 3, "in_flight": 1}
    sessions = {s["session_id"]: s for s in store.read(queries.list_sessions)}
    assert sessions["s0"]["requests"] == 4 and sessions["s0"]["models"] == ["claude-opus-4-6", "claude-sonnet-4-5"]
    assert sessions["s2"]["models"] == ["claude-opus-4-6", "claude-sonnet-4-5"]   # x0002's NULL model left out
    assert sessions["s2"]["tokens"]["input_tokens"] == 2 + 5 + 8 + 11
    assert isinstance(sessions["s2"]["tokens"]["input_tokens"], int)
    assert [r.id for r in store.read(queries.list_usage)][:2] == ["x0001", "x0002"]
    assert len(store.read(queries.list_usage)) == 11
    assert [r.id for r in store.read(lambda c: queries.recent_usage(c, limit=2))] == ["x0011", "x0010"]
    [edit] = store.read(queries.prune_report)
    assert edit == {"tier": "gentle", "strategy": "dedupe", "decision": "applied", "edits": 1, "requests": 1,
                    "bytes_removed": 10, "tokens_removed": 3, "cost_delta": -0.5}
    [stats] = store.read(delegation_queries.stats)
    assert (stats["attempts"], stats["ok"], stats["failed"], stats["timeout"]) == (3, 2, 1, 0)
    assert stats["avg_duration_ms"] == pytest.approx(20.0) and stats["total_tokens"] == 12


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT MAX(a, b), MAX(c) FROM t WHERE x = ?", "SELECT GREATEST(a, b), MAX(c) FROM t WHERE x = %s"),
    ("SELECT 1 WHERE r LIKE '%x?%' AND y = ?", "SELECT 1 WHERE r LIKE '%%x?%%' AND y = %s"),
    ("INSERT OR IGNORE INTO exchanges (id, ts) VALUES (?, ?)",
     "INSERT INTO exchanges (id, ts) VALUES (%s, %s) ON CONFLICT DO NOTHING"),
    ("INSERT OR REPLACE INTO delegations (id, ts) VALUES (?, ?)",
     "INSERT INTO delegations (id, ts) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts"),
    ("SELECT CAST((ts - ?) / ? AS INTEGER)", "SELECT CAST(trunc((ts - %s) / %s) AS BIGINT)"),
])
def test_sqlite_statements_are_translated_in_one_place(sql, expected):
    assert pg.translate(sql) == expected


def test_a_server_url_is_shown_without_its_password(tmp_path):
    assert pg.shown("postgresql://relay:hun@ter2@db.internal:5433/relay?sslmode=require") == \
        "postgresql://relay:***@db.internal:5433/relay?sslmode=require"
    assert pg.shown("postgresql://relay@/relay?host=/run/pg&password=hunter2") == \
        "postgresql://relay@/relay?host=/run/pg&password=***"
    (tmp_path / "config.toml").write_text('database_url = "postgresql://relay:hunter2@db/relay"\n')
    done = run_relay("config", "--format", "json", RELAY_HOME=str(tmp_path))
    [row] = [r for r in json.loads(done.stdout)["settings"] if r["name"] == "database_url"]
    assert row["value"] == "postgresql://relay:***@db/relay" and "hunter2" not in done.stdout


def test_a_postgresql_url_without_psycopg_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "psycopg", None)   # as if not installed
    with pytest.raises(RelayError) as caught:
        open_user_store("postgresql://relay:hunter2@db.invalid/relay")
    assert "pip install 'relay[postgres]'" in str(caught.value) and "hunter2" not in str(caught.value)


def test_database_url_takes_only_postgresql_urls(tmp_path):
    assert config.load(environ={"RELAY_DATABASE_URL": "postgresql://u@h/db"},
                       config_file=tmp_path / "none.toml").database_url == "postgresql://u@h/db"
    assert config.load(environ={}, config_file=tmp_path / "none.toml").database_url == ""
    with pytest.raises(ConfigError, match="mysql"):
        config.load(environ={"RELAY_DATABASE_URL": "mysql://u:secret@h/db"}, config_file=tmp_path / "none.toml")


def test_a_lost_server_connection_delays_writes_and_loses_none(tmp_path, pg_url):
    store = Store(tmp_path / "r.db", url=pg_url).start()
    try:
        store.submit(record_exchange_start(_exchange(1)))
        assert store.flush()
        writer = store.write(lambda c: c.execute("SELECT pg_backend_pid()").fetchone()[0])
        other = pg.connect(pg_url)
        other.execute("SELECT pg_terminate_backend(?)", (writer,))
        other.close()
        for n in range(2, 12):
            store.submit(record_exchange_start(_exchange(n)))
        assert store.flush(timeout=30)
        assert store.read(queries.counts)["requests"] == 11 and store.failure is None and store.dropped == 0
    finally:
        store.close()


def test_quota_chart_buckets_take_the_newest_row_of_each_bucket(backend_store):
    from relay.store import chart_queries
    value, reset = "anthropic-ratelimit-unified-5h-utilization", "anthropic-ratelimit-unified-5h-reset"
    for n, (offset, util) in enumerate([(10, "0.1"), (50, "0.3"), (30, "0.2"), (70, "0.5"), (110, "0.9")]):
        headers = {value: util, reset: str(1000 + n)} if n != 4 else {"other": "1"}
        backend_store.submit(record_exchange_finish(_exchange(n, ts=1_800_000_000.0 + offset, outcome="ok",
                                                              status=200, ratelimit=headers)))
    backend_store.flush()
    rows = backend_store.read(lambda c: chart_queries.header_buckets(c, 1_800_000_000.0, 60, value, (reset,)))
    assert [(r["bucket"], r["value"], r["resets"]) for r in rows] == [(0, "0.3", ["1001"]), (1, "0.5", ["1003"])]
