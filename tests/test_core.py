"""Config resolution, the store's writer and migrations, the bus, and stage isolation."""
import sqlite3

import pytest

from relay import config, paths
from relay.bus import Bus
from relay.errors import ConfigError
from relay.models import Exchange, Usage
from relay.proxy.pipeline import Pipeline
from relay.proxy.stages import Stage
from relay.store import Store, migrations, queries
from relay.store.writes import mark_unfinished, record_exchange_finish, record_exchange_start


def test_config_precedence_default_file_env_flag(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('port = 9000\nhost = "127.0.0.2"\nserver = "waitress"\n')
    s = config.load({"port": 9100}, environ={"RELAY_HOST": "127.0.0.3"}, config_file=cfg)
    assert (s.port, s.sources["port"]) == (9100, "flag")
    assert (s.host, s.sources["host"]) == ("127.0.0.3", "env RELAY_HOST")
    assert (s.server, s.sources["server"]) == ("waitress", "file")
    assert (s.upstream_anthropic, s.sources["upstream_anthropic"]) == ("https://api.anthropic.com", "default")


@pytest.mark.parametrize("env, word", [({"RELAY_PORT": "70000"}, "port"), ({"RELAY_SERVER": "uwsgi"}, "server"),
                                       ({"RELAY_UPSTREAM_ANTHROPIC": "ftp://x"}, "upstream_anthropic")])
def test_config_errors_name_the_setting(tmp_path, env, word):
    with pytest.raises(ConfigError) as err:
        config.load(environ=env, config_file=tmp_path / "none.toml")
    assert word in err.value.message


def test_unknown_file_setting_is_an_error(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="prot"):
        config.load(environ={}, config_file=cfg)


def test_data_dir_honours_relay_home(tmp_path):
    assert paths.data_dir({"RELAY_HOME": str(tmp_path)}) == tmp_path
    assert paths.db_path({"RELAY_HOME": str(tmp_path)}) == tmp_path / "relay.db"


def _exchange(i, **kw):
    return Exchange(id=f"x{i}", ts=1000.0 + i, provider="anthropic", method="POST", path="/v1/messages", **kw)


def test_finish_before_start_is_not_overwritten(tmp_path):
    store = Store(tmp_path / "r.db")
    done = _exchange(1, status=200, outcome="ok", usage=Usage(input_tokens=5))
    store.submit(record_exchange_finish(done))
    store.submit(record_exchange_start(_exchange(1)))
    store.flush()
    [row] = store.read(queries.list_exchanges)
    assert row.outcome == "ok" and row.usage.input_tokens == 5


def test_bad_task_costs_only_itself(tmp_path):
    store = Store(tmp_path / "r.db").start()
    store.submit(record_exchange_start(_exchange(1)))
    store.submit(lambda conn: conn.execute("INSERT INTO no_such_table VALUES (1)"))
    store.submit(record_exchange_start(_exchange(2)))
    store.flush()
    assert store.read(queries.counts)["requests"] == 2
    store.close()


def test_mark_unfinished_only_touches_open_rows(tmp_path):
    store = Store(tmp_path / "r.db")
    store.submit(record_exchange_start(_exchange(1)))
    store.submit(record_exchange_finish(_exchange(2, outcome="ok")))
    store.flush()
    assert store.write(mark_unfinished()) == 1
    assert sorted(r.outcome for r in store.read(queries.list_exchanges)) == ["interrupted", "ok"]


def test_migrations_are_recorded_and_idempotent(tmp_path):
    Store(tmp_path / "r.db").close()
    conn = sqlite3.connect(tmp_path / "r.db")
    assert migrations.schema_version(conn) == migrations.latest_version()
    assert migrations.migrate(conn) == []
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_bus_replay_and_slow_subscriber_reset():
    bus = Bus(ring=5, queue_size=3)
    for i in range(4):
        bus.publish("exchange/start", {"i": i})
    with bus.subscribe(last_event_id=2) as sub:
        assert [sub.get(0).id for _ in range(2)] == [3, 4]
    slow = bus.subscribe()
    for i in range(5):
        bus.publish("usage/tick", {"i": i})
    # the backlog is dropped for one reset; live events continue after it
    assert [slow.get(0).kind, slow.get(0).data, slow.get(0)] == ["reset", {"i": 4}, None]
    with pytest.raises(ValueError):
        bus.publish("nonsense")
    late = bus.subscribe(last_event_id=1)
    assert late.get(0).kind == "reset"


class Boom(Stage):
    name = "boom"

    def request(self, exchange, body):
        raise RuntimeError("bug in a stage")


class Upper(Stage):
    name = "upper"

    def request(self, exchange, body):
        return body.upper()


def test_failing_stage_is_skipped_and_counted():
    pipe = Pipeline([Boom(), Upper()])
    assert pipe.request(_exchange(1), b"abc") == b"ABC"
    assert pipe.failures == 1 and pipe.has("request") and not pipe.has("response_chunk")
