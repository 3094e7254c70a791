"""`relay users`: spend per machine and OS user, then per CLI and model, priced as the cost of the
day prices the same rows (on SQLite and PostgreSQL), and the command reading a shared database."""
import json
import time

import pytest

from relay.costs import prices, team, today
from relay.models import Exchange, Usage
from relay.store import Store, writes
from relay.store.writes import record_exchange_finish
from tests.run_relay import assert_clean_error, run_relay

PEOPLE = (("laptop-a", "ann", "claude", "claude-sonnet-4-5"), ("laptop-a", "ann", "codex", "gpt-5"),
          ("laptop-b", "bo", "claude", "claude-opus-4-6"), ("laptop-b", "bo", "gemini", "mystery-model"))


def _fill(store, monkeypatch, now):
    for n in range(40):
        machine, user, cli, model = PEOPLE[n % len(PEOPLE)]
        monkeypatch.setattr(writes, "ORIGIN", (machine, user))
        ex = Exchange(id=f"u{n}", ts=now - 3600 + n, provider="anthropic", method="POST", path="/v1/messages",
                      model=model, cli=cli, session_id=f"s{n % 5}", message_id=f"m{n}", status=200, outcome="ok",
                      usage=Usage(input_tokens=1000 * (n + 1), output_tokens=300, cache_read_input_tokens=5000))
        store.submit(record_exchange_finish(ex))
    store.flush()


def test_spend_is_split_per_user_cli_and_model_and_adds_up(backend_store, monkeypatch):
    now = time.time()
    _fill(backend_store, monkeypatch, now)
    table = prices.load()
    result = team.spend_by_user(backend_store, table, now - 7 * 86400)
    by_user = {(p["machine"], p["user"]): p for p in result["users"]}
    assert set(by_user) == {("laptop-a", "ann"), ("laptop-b", "bo")}
    bo = by_user[("laptop-b", "bo")]
    assert [(r["cli"], r["model"]) for r in bo["rows"]] == [("claude", "claude-opus-4-6"), ("gemini", "mystery-model")]
    assert bo["rows"][1]["cost"] is None and bo["unpriced"] == 10 and bo["requests"] == 20
    assert result["users"][0]["cost"] >= result["users"][1]["cost"]
    day = today.today_by_model(backend_store, table, now - 7 * 86400)
    assert result["total"]["cost"] == pytest.approx(day["total"]["cost"])
    assert result["total"]["requests"] == day["total"]["requests"] == 40
    ann = by_user[("laptop-a", "ann")]
    assert sum(r["tokens"]["input"] for r in ann["rows"]) == sum(1000 * (n + 1) for n in range(40) if n % 4 < 2)


def test_relay_users_prints_each_person(monkeypatch, isolated_home):
    from relay import paths
    store = Store(paths.db_path())
    _fill(store, monkeypatch, time.time())
    store.close()
    done = run_relay("users", "--format", "json")
    assert done.returncode == 0, done.stderr
    people = json.loads(done.stdout)["users"]
    assert {(p["user"], p["machine"]) for p in people} == {("ann", "laptop-a"), ("bo", "laptop-b")}
    plain = run_relay("users", "--since", "30d").stdout
    assert "ann@laptop-a" in plain and "bo@laptop-b" in plain and "gemini   mystery-model" in plain


def test_relay_users_on_an_unreachable_server_is_a_clean_error(tmp_path):
    done = run_relay("users", RELAY_DATABASE_URL=f"postgresql://relay@/relay?host={tmp_path}&connect_timeout=2")
    assert_clean_error(done, "cannot open the PostgreSQL database of database_url")


def test_relay_users_user_shows_one_person(monkeypatch, isolated_home):
    from relay import paths
    store = Store(paths.db_path())
    _fill(store, monkeypatch, time.time())
    store.close()
    for who in ("bo", "bo@laptop-b"):
        done = run_relay("users", "--user", who, "--format", "json")
        assert done.returncode == 0, done.stderr
        payload = json.loads(done.stdout)
        assert [(p["user"], p["machine"]) for p in payload["users"]] == [("bo", "laptop-b")]
        assert payload["total"]["requests"] == 20
    assert json.loads(run_relay("users", "--user", "bo@laptop-a", "--format", "json").stdout)["users"] == []
