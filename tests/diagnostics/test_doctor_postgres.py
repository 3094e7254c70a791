"""`relay doctor`'s database check when database_url names PostgreSQL: a real throwaway server
(tests.pg_server; skipped with the reason where it is not installed), its version and relay's
migration level there, --fix migrating it, and clear failures when it is unreachable or psycopg
is missing. The URL's password never shows."""
import json
import sys

import pytest

from relay.diagnostics.doctor import checks, run
from relay.store import Store, migrations
from tests.diagnostics.test_doctor import check, make_ctx
from tests.health_server import dead_port
from tests.run_relay import run_relay


def _with_password(url):
    # trust auth ignores the password, so the URL still connects while carrying one to mask
    return url.replace("postgresql://relay@", "postgresql://relay:hunter2-pw@", 1)


def test_a_current_schema_passes_with_the_version_and_a_masked_url(tmp_path, pg_url):
    url = _with_password(pg_url)
    Store(tmp_path / "unused.db", url=url).close()
    c = check("database", make_ctx(tmp_path, dead_port(), RELAY_DATABASE_URL=url))
    assert c["status"] == "pass", c
    assert "PostgreSQL 1" in c["message"] and f"schema {migrations.latest_version()} is current" in c["message"]
    assert "hunter2-pw" not in c["message"] and "relay:***@" in c["message"]


def test_no_schema_yet_warns_and_fix_migrates(tmp_path, pg_url):
    ctx = make_ctx(tmp_path, dead_port(), RELAY_DATABASE_URL=pg_url)
    c = check("database", ctx)
    assert c["status"] == "warn" and "has no relay schema yet" in c["message"] and c["fixable"]
    report = run(ctx, fix=True)
    assert any(a["check"] == "database" and "migrated" in a["did"] for a in report["fixed"])
    assert check("database", ctx)["status"] == "pass"


def test_a_behind_or_newer_schema(tmp_path, pg_url):
    store = Store(tmp_path / "unused.db", url=pg_url)
    store.write(lambda c: c.execute("DELETE FROM _relay_migrations WHERE name = 'm010_i21_origin'"))
    ctx = make_ctx(tmp_path, dead_port(), RELAY_DATABASE_URL=pg_url)
    c = check("database", ctx)
    assert c["status"] == "warn" and "1 migration(s) pending" in c["message"]
    store.write(lambda c: c.execute("INSERT INTO _relay_migrations (name, applied_at) VALUES ('m999_future', 0), "
                                    "('m010_i21_origin', 0)"))
    store.close()
    c = check("database", ctx)
    assert c["status"] == "fail" and "newer relay" in c["message"] and "m999_future" in c["message"]


def test_an_unreachable_server_fails_clearly_through_the_command(tmp_path):
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]')")
    url = f"postgresql://relay:hunter2-pw@/relay?host={tmp_path}"   # a socket dir with no server in it
    done = run_relay("doctor", "--format", "json", RELAY_DATABASE_URL=url)
    assert done.returncode == 1 and "hunter2-pw" not in done.stdout + done.stderr
    c = next(c for c in json.loads(done.stdout)["checks"] if c["name"] == "database")
    assert c["status"] == "fail" and c["message"].startswith("cannot connect to postgresql://relay:***@/relay")
    assert "OperationalError" in c["message"] and "server is up" in c["fix"]


def test_psycopg_missing_is_a_clear_failure(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)   # import psycopg now raises ImportError
    c = checks.check_database(make_ctx(tmp_path, dead_port(), RELAY_DATABASE_URL="postgresql://u:pw@db/x"))
    assert c.status == "fail" and "psycopg is not installed" in c.message and "relay[postgres]" in c.fix
    assert "pw" not in c.message.replace("postgresql://u:***@db/x", "")
