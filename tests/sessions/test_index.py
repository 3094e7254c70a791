"""The incremental index, proved with its counters: what was read, resumed or restarted."""
import json
import os

import pytest

from relay.sessions import index, state
from relay.sessions.discover import discover
from relay.sessions.parsers import parse_file
from relay.store import Store, session_index
from tests.session_homes import populate

BASH_KEY = "claude:c6591387-3c88-4bda-9ab0-808028906ae9"
AGENT_KEY = "claude:9043e173-9b6d-4aca-8263-f7dc88d302fe"


@pytest.fixture
def store(backend_store):
    """The session index on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend_store


@pytest.fixture
def files():
    return populate()


def update(store, **kw):
    return index.update(store, discover(), **kw)


def rows(store):
    return {r["session_key"]: r for r in store.read(session_index.list_sessions)}


def reply_line(uuid, text="more"):
    line = {"parentUuid": None, "isSidechain": False, "type": "assistant", "uuid": uuid,
            "sessionId": "c6591387-3c88-4bda-9ab0-808028906ae9", "timestamp": "2026-11-22T15:00:00.000Z",
            "message": {"id": f"msg_{uuid}", "role": "assistant", "model": "claude-opus-5-5",
                        "content": [{"type": "text", "text": text}],
                        "usage": {"input_tokens": 1, "output_tokens": 2, "cache_read_input_tokens": 3,
                                  "cache_creation_input_tokens": 4}}}
    return (json.dumps(line) + "\n").encode()


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


def test_cold_scan_reads_every_parsed_file_once(store, files):
    report = update(store)
    sources = discover()
    parsed = [f for s in sources for f in s.files if f.role != "alt"]
    assert report.counters.groups == len(sources) == len(rows(store))
    assert report.counters.files_parsed == len(parsed)
    assert report.counters.bytes_read == sum(f.size for f in parsed)


def test_warm_rescan_reads_no_bytes_and_runs_no_analysis(store, files, monkeypatch):
    update(store)
    before = rows(store)
    import relay.sessions.detectors as detectors

    def boom(session):
        raise AssertionError("detectors ran on an unchanged session")
    monkeypatch.setattr(detectors, "detect_all", boom)
    report = update(store)
    assert report.counters.groups == 0 and report.counters.bytes_read == 0
    assert report.counters.bytes_verified == 0
    assert report.unchanged == len(before)
    assert rows(store) == before


def test_append_reads_only_the_new_bytes(store, files):
    update(store)
    extra = reply_line("x1") + reply_line("x2")
    append(files["session-tool-bash"], extra)
    report = update(store)
    c = report.counters
    assert (c.groups, c.files_parsed, c.files_resumed, c.files_restarted) == (1, 1, 1, 0)
    assert c.bytes_read == len(extra)
    row = rows(store)[BASH_KEY]
    fresh = parse_file("claude", files["session-tool-bash"])
    assert row["tokens"]["total"] == fresh.usage.total == 9038 + 2 * 10
    assert row["turns"] == 4


def test_a_partial_last_line_is_read_again_once_complete(store, files):
    update(store)
    line = reply_line("x1")
    append(files["session-tool-bash"], line[:30])
    first = update(store)
    assert first.counters.bytes_read == 30
    assert rows(store)[BASH_KEY]["parse_stats"]["truncated_tail"] == 1
    append(files["session-tool-bash"], line[30:])
    second = update(store)
    assert second.counters.bytes_read == len(line)      # the partial line, then the rest
    row = rows(store)[BASH_KEY]
    assert row["parse_stats"]["truncated_tail"] == 0 and row["turns"] == 3


@pytest.mark.parametrize("change", ["shrink", "rotate", "rewrite", "lost_state"])
def test_a_file_that_was_not_just_appended_to_is_parsed_from_zero(store, files, change):
    path = files["session-tool-bash"]
    update(store)
    data = path.read_bytes()
    if change == "shrink":
        path.write_bytes(data[: data.rfind(b"\n", 0, len(data) // 2) + 1])
    elif change == "rotate":
        fresh = path.with_name("next.tmp")              # created while the old file exists: a new inode
        fresh.write_bytes(data + reply_line("x1"))
        os.replace(fresh, path)
    elif change == "rewrite":
        with open(path, "r+b") as f:                    # same inode, grown, the bytes before the offset differ
            f.write(data[:-40] + b"x" * 39 + b"\n" + reply_line("x1"))
    else:
        for name in os.listdir(state.state_dir(store.path)):
            os.remove(os.path.join(state.state_dir(store.path), name))
        append(path, reply_line("x1"))
    report = update(store)
    c = report.counters
    assert (c.files_parsed, c.files_restarted, c.files_resumed) == (1, 1, 0)
    assert c.bytes_read == path.stat().st_size
    fresh = parse_file("claude", path)
    row = rows(store)[BASH_KEY]
    assert row["tokens"]["total"] == fresh.usage.total
    assert row["parse_stats"]["lines"] == fresh.stats.lines


def test_touch_without_new_bytes_refreshes_without_reading(store, files):
    update(store)
    st = files["session-tool-bash"].stat()
    os.utime(files["session-tool-bash"], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    report = update(store)
    assert (report.counters.groups, report.counters.bytes_read, report.counters.files_resumed) == (1, 0, 1)


def test_a_subagent_append_refreshes_its_session_without_rereading_the_parent(store, files):
    update(store)
    before = rows(store)[AGENT_KEY]
    assert before["tokens"]["total"] == 9038 + 4519     # the parent's two replies + the subagent's one
    extra = reply_line("s1").replace(b'"isSidechain": false', b'"isSidechain": true')
    append(files["subagent"], extra)
    report = update(store)
    assert report.counters.bytes_read == len(extra)
    assert rows(store)[AGENT_KEY]["tokens"]["total"] == before["tokens"]["total"] + 10


def test_sessions_that_left_the_disk_leave_the_index(store, files):
    update(store)
    state_files = len(os.listdir(state.state_dir(store.path)))
    os.remove(files["session-tool-bash"])
    report = update(store)
    assert report.removed == 1 and BASH_KEY not in rows(store)
    assert len(os.listdir(state.state_dir(store.path))) == state_files - 1
    assert not store.read(lambda c: c.execute("SELECT 1 FROM session_files WHERE session_key = ?",
                                              (BASH_KEY,)).fetchall())


def test_a_provider_filtered_update_leaves_other_providers_alone(store, files):
    update(store)
    report = index.update(store, discover(["codex"]), providers=["codex"])
    assert report.removed == 0 and len(rows(store)) == 8


def test_the_process_pool_gives_the_same_rows_as_in_process(store, files, monkeypatch, tmp_path):
    update(store, workers=1)
    inline = {k: {**r, "analyzed_at": None} for k, r in rows(store).items()}
    other = Store(tmp_path / "pool" / "relay.db")
    try:
        monkeypatch.setattr(index, "POOL_MIN_BYTES", 0)
        report = index.update(other, discover(), workers=2)
        assert report.workers == 2
        pooled = {r["session_key"]: {**r, "analyzed_at": None} for r in other.read(session_index.list_sessions)}
    finally:
        other.close()
    assert pooled == inline


def test_a_file_untouched_for_a_week_keeps_no_state_until_it_is_appended_to(store, files):
    from relay.sessions import worker
    path = str(files["session-tool-bash"])
    old = os.stat(path).st_mtime - worker.STATE_AGE - 60
    os.utime(path, (old, old))
    update(store)
    kept = os.path.join(state.state_dir(store.path), os.path.basename(state._file("", path)))
    assert not os.path.exists(kept)
    append(path, reply_line("w1"))
    c = update(store).counters
    assert (c.files_parsed, c.files_resumed, c.files_restarted) == (1, 0, 1)    # read again from 0, once
    assert rows(store)[BASH_KEY]["tokens"]["total"] == parse_file("claude", path).usage.total
    assert os.path.exists(kept)                                                 # written now: a state again
    append(path, reply_line("w2"))
    c = update(store).counters
    assert (c.files_resumed, c.bytes_read) == (1, len(reply_line("w2")))
