"""The status line drawn from its state file: reused while the database is unchanged (no database
read, no sqlite3, re, json or pathlib loaded), read again when a row is added or the day turns;
and relay.jsonlite, which reads its stdin and state, against json.loads."""
import json
import os
import subprocess
import sys
import time

import pytest

from relay import datadir, jsonlite, paths, statusline, times
from relay.present import statusline_reads
from tests.statusline.test_lean_entry import lean
from tests.statusline.test_statusline import NOW, line, send, status


@pytest.fixture
def settled(monkeypatch):
    monkeypatch.setattr(statusline, "SETTLE_S", 0.0)    # the test's writes are over before each line


def _reads(monkeypatch):
    calls = []
    real = statusline_reads.measure
    monkeypatch.setattr(statusline_reads, "measure", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    return calls


def test_unchanged_database_is_drawn_from_the_state(relay, settled, monkeypatch):
    send(relay, "sess-cache", "5h=0.82,7d=0.4")
    calls = _reads(monkeypatch)
    first = line(status("v2.1.90", "sess-cache"), no_color=True)
    again = line(status("v2.1.90", "sess-cache"), no_color=True)
    assert calls == ["sess-cache"]                  # the second line read no database
    assert again == first and "5h 82% ↻2 h 10 min" in again and "$0.02 session $0.02 today" in again
    # the time of drawing still applies: an hour later the reset is an hour nearer
    later = line(status("v2.1.90", "sess-cache"), no_color=True, now=NOW + 3600)
    assert calls == ["sess-cache"] and "5h 82% ↻1 h 10 min" in later
    # another session has no state of its own yet: it reads
    line(status("v2.1.90", "sess-elsewhere"), no_color=True)
    assert calls == ["sess-cache", "sess-elsewhere"]


def test_a_new_row_is_read(relay, settled, monkeypatch):
    send(relay, "sess-grow", "5h=0.2,7d=0.1")
    calls = _reads(monkeypatch)
    assert "$0.02 session $0.02 today" in line(status("v2.1.90", "sess-grow"), no_color=True)
    send(relay, "sess-grow", "5h=0.3,7d=0.1")        # two more rows, 30 % now
    text = line(status("v2.1.90", "sess-grow"), no_color=True)
    assert len(calls) == 2
    assert "5h 30%" in text and "$0.05 session $0.05 today" in text


def test_a_new_day_is_read(relay, settled, monkeypatch):
    send(relay, "sess-day", "5h=0.2,7d=0.1")
    calls = _reads(monkeypatch)
    assert "$0.02 session $0.02 today" in line(status("v2.1.90", "sess-day"), no_color=True)
    tomorrow = max(NOW, time.time()) + 2 * 86400    # past every row: the session's cost stays, the day's is 0
    text = line(status("v2.1.90", "sess-day"), no_color=True, now=tomorrow)
    assert len(calls) == 2 and "$0.02 session $0.00 today" in text
    state = json.loads((paths.db_path().parent / statusline.STATE_FILE).read_text())["sess-day"]
    assert state["since"] == times.start_of_day(tomorrow)


def test_a_recent_write_is_not_trusted(relay, monkeypatch):
    # a database written within SETTLE_S may change again in the same clock tick: no signature kept
    send(relay, "sess-fresh", "5h=0.2,7d=0.1")
    monkeypatch.setattr(statusline, "SETTLE_S", 3600.0)
    assert statusline.signature(str(paths.db_path())) is None
    monkeypatch.setattr(statusline, "SETTLE_S", 0.0)
    assert statusline.signature(str(paths.db_path()))[0][1] == os.stat(paths.db_path()).st_size
    assert statusline.signature(str(paths.db_path().parent / "none.db")) is None


def test_the_written_command_drawn_from_its_state_loads_no_sqlite(relay):
    send(relay, "sess-lean-cache", "5h=0.5,7d=0.1")
    past = time.time() - 60                          # as if the last write were a minute ago
    for name in (paths.db_path(), paths.db_path().with_name("relay.db-wal")):
        if name.exists():
            os.utime(name, (past, past))
    # resets as epoch seconds: an ISO reset in the JSON (read once the measured windows have reset) needs re
    text = status("v2.1.90", "sess-lean-cache").replace('"2026-11-23T23:00:00Z"', "1795474800")
    first = lean(text, "--no-color")
    cached = lean(text, "--no-color", flags=("-I", "-S", "-X", "importtime"))
    assert cached.returncode == 0 and cached.stdout == first.stdout and "$0.02 session" in cached.stdout
    loaded = {row.rsplit("|", 1)[1].strip() for row in cached.stderr.splitlines() if row.startswith("import time:")}
    assert "relay.statusline" in loaded
    assert not loaded & {"sqlite3", "re", "json", "pathlib", "relay.present.statusline_reads"}, sorted(
        loaded & {"sqlite3", "re", "json", "pathlib", "relay.present.statusline_reads"})


@pytest.mark.parametrize("text", ["{}", ' {"a": [1, 2.5, -0.0, null, true, false, "x\\u00e9\\n", 1e400]}\n', "[NaN]",
                                  '"s"', "12", '{"k": {"n": 12345678901234567890}}', b'{"b": "\xc3\xa9"}'])
def test_jsonlite_reads_as_json_does(text):
    assert repr(jsonlite.loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["", "   ", "{", "{} x", "nul", '{"a":}', "[1,]", "\ufeff{}", '"\x01"'])
def test_jsonlite_rejects_what_json_rejects(text):
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        jsonlite.loads(text)


def test_jsonlite_without_the_c_scanner_is_json():
    code = ("import sys; sys.modules['_json'] = None; from relay import jsonlite; "
            "assert jsonlite._scan is None; print(jsonlite.loads('{\"a\": [1]}'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=str(paths.Path(__file__).resolve().parents[2]))
    assert done.returncode == 0 and done.stdout.strip() == "{'a': [1]}", done.stderr


def test_data_dir_as_text_is_relay_paths_data_dir():
    assert paths.data_dir() == paths.Path(datadir.data_dir())
    assert paths.db_path() == paths.Path(datadir.database())
    assert paths.config_path() == paths.Path(datadir.config_file())
