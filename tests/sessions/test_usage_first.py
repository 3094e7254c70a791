"""The usage-first pass of reports: the same message rows as the full analysis, and what follows it.

A report indexes new Claude Code sessions with parsers/claude_usage.py (rows only: no state, no
analysis); a scan later reads them in full. Both paths must give the very same `message_usage`
rows, on the recorded fixtures and on the synthetic corpus the benchmarks use.
"""
import io
import json
import os
import random

import psutil
import pytest

from bench import synth_sessions
from relay.costs import prices, reports
from relay.sessions import index, state, worker
from relay.sessions.discover import discover
from relay.sessions.parsers import read_into
from relay.sessions.parsers.base import LineParser
from relay.sessions.parsers.claude_usage import ClaudeUsageParser
from relay.store import Store, session_index, usage_index
from tests.session_homes import populate


def usage_rows(store):
    got = store.read(lambda c: c.execute(f"SELECT {', '.join(usage_index.COLUMNS)} FROM message_usage").fetchall())
    return sorted(tuple(r) for r in got)


def first_synthetic(homes):
    root = os.path.join(homes["claude"], "projects")
    return min((e for d in os.listdir(root) if d.startswith("-work-p") for e in os.scandir(os.path.join(root, d))
                if e.name.endswith(".jsonl")), key=lambda e: e.path)


def daily_totals(store):
    return reports.aggregate(store, prices.load(), "day", ("claude",))


def synthetic(environ_home, size=3 << 20):
    homes, _ = synth_sessions.generate(str(environ_home), size, seed=11)
    # Lines the generator never writes: a re-written copy, a split message whose first line has no
    # usage, a torn last line.
    path = first_synthetic(homes).path
    with open(path, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    assistant = next(line for line in lines if b'"type":"assistant"' in line)
    first = json.loads(assistant)
    first["uuid"], first["requestId"], first["message"]["id"] = "u-split-1", "req_split", "msg_split"
    del first["message"]["usage"]
    second = {**first, "uuid": "u-split-2", "timestamp": "2026-11-30T23:59:59.000Z",
              "message": {**first["message"], "usage": {"input_tokens": 7, "output_tokens": 9}}}
    with open(path, "ab") as f:
        f.write(assistant)
        f.write((json.dumps(first) + "\n" + json.dumps(second) + "\n").encode())
        f.write(assistant[: len(assistant) // 2])
    return homes


@pytest.fixture
def corpus(isolated_home, monkeypatch):
    homes = synthetic(isolated_home / "synth")
    for name in ("claude",):
        monkeypatch.setenv(f"RELAY_{name.upper()}_HOME", homes[name])
    populate()      # the recorded fixtures beside the synthetic sessions
    return homes


def test_a_cold_report_has_the_full_analysis_rows_and_totals(store, corpus, tmp_path):
    report = reports.refresh(store, ("claude",), workers=1)
    assert report.counters.files_parsed > 0
    assert store.read(session_index.list_sessions) == []          # no analysis was made
    full = Store(tmp_path / "full" / "relay.db")
    try:
        index.update(full, discover(["claude"]), providers=["claude"], workers=1)
        assert usage_rows(store) == usage_rows(full)
        assert daily_totals(store) == daily_totals(full)
    finally:
        full.close()


def test_a_scan_after_a_report_analyses_what_the_report_skipped(store, corpus):
    reports.refresh(store, ("claude",), workers=1)
    rows = usage_rows(store)
    scanned = index.update(store, discover(["claude"]), providers=["claude"], workers=1)
    assert scanned.counters.files_parsed > 0 and scanned.counters.state_bytes > 0
    assert len(store.read(session_index.list_sessions)) == scanned.sessions
    assert usage_rows(store) == rows
    again = reports.refresh(store, ("claude",), workers=1)      # a full index serves reports as is
    assert again.counters.bytes_read == 0 and again.unchanged == again.sessions


def test_a_report_after_a_report_reads_nothing_and_an_append_only_its_bytes(store, corpus, monkeypatch):
    monkeypatch.setattr(worker, "USAGE_STATE_MIN_BYTES", 0)      # the synthetic files are small
    reports.refresh(store, ("claude",), workers=1)
    warm = reports.refresh(store, ("claude",), workers=1)
    assert warm.counters.bytes_read == 0
    target = first_synthetic(corpus)
    offset = store.read(lambda c: c.execute("SELECT offset FROM session_files WHERE path = ?",
                                            (target.path,)).fetchone()[0])
    synth_sessions.append_claude(target.path, random.Random(3), synth_sessions.Text(random.Random(3)), 20000)
    after = reports.refresh(store, ("claude",), workers=1)
    assert after.counters.groups == 1 and after.counters.files_resumed == 1
    assert after.counters.bytes_read == os.path.getsize(target.path) - offset     # the torn line, then the append
    full = Store(os.path.join(os.path.dirname(store.path), "full.db"))
    try:
        index.update(full, discover(["claude"]), providers=["claude"], workers=1)
        assert usage_rows(store) == usage_rows(full)
    finally:
        full.close()


@pytest.mark.parametrize("why", ["old", "small"])
def test_an_old_or_small_file_gets_no_usage_state_and_an_append_to_it_is_read_again_exactly(
        store, corpus, tmp_path, monkeypatch, why):
    target = first_synthetic(corpus)
    if why == "old":
        monkeypatch.setattr(worker, "USAGE_STATE_MIN_BYTES", 0)
        old = os.path.getmtime(target.path) - 3 * 86400
        os.utime(target.path, (old, old))
    else:
        monkeypatch.setattr(worker, "USAGE_STATE_MIN_BYTES", os.path.getsize(target.path) + 1)
    first = reports.refresh(store, ("claude",), workers=1)
    assert first.counters.files_parsed > 0
    assert not os.path.exists(state._file(state.state_dir(store.path), target.path))
    synth_sessions.append_claude(target.path, random.Random(5), synth_sessions.Text(random.Random(5)), 20000)
    after = reports.refresh(store, ("claude",), workers=1)
    assert after.counters.files_resumed == 0 and after.counters.bytes_read == os.path.getsize(target.path)
    full = Store(tmp_path / "full" / "relay.db")
    try:
        index.update(full, discover(["claude"]), providers=["claude"], workers=1)
        assert usage_rows(store) == usage_rows(full)
    finally:
        full.close()


def test_a_fully_indexed_session_is_resumed_by_a_report(store, corpus):
    index.update(store, discover(["claude"]), providers=["claude"], workers=1)
    target = first_synthetic(corpus)
    synth_sessions.append_claude(target.path, random.Random(4), synth_sessions.Text(random.Random(4)), 20000)
    after = reports.refresh(store, ("claude",), workers=1)
    assert after.counters.files_resumed == 1 and after.counters.state_bytes > 0
    assert store.read(lambda c: c.execute("SELECT COUNT(*) FROM session_files WHERE parser_version = ?",
                                          (state.USAGE_ONLY,)).fetchone()[0]) == 0


def _children():
    return [p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]


def test_no_pool_worker_outlives_an_update(store, corpus, monkeypatch):
    monkeypatch.setattr(index, "POOL_MIN_BYTES", 0)
    before = {p.pid for p in _children()}   # what other tests' fixtures keep running is not ours
    report = reports.refresh(store, ("claude",), workers=2)
    assert report.workers == 2
    assert [p for p in _children() if p.pid not in before] == []


def test_no_pool_worker_outlives_an_update_that_fails(store, corpus, monkeypatch):
    monkeypatch.setattr(index, "POOL_MIN_BYTES", 0)

    def broken(store, results):
        raise KeyboardInterrupt
    monkeypatch.setattr(index, "_save", broken)
    before = {p.pid for p in _children()}
    with pytest.raises(KeyboardInterrupt):
        reports.refresh(store, ("claude",), workers=2)
    assert [p for p in _children() if p.pid not in before] == []


@pytest.mark.parametrize("provider", ["codex", "gemini"])
def test_a_report_reads_codex_and_gemini_without_analysis_and_a_scan_adds_it(store, isolated_home, monkeypatch,
                                                                             tmp_path, provider):
    homes, _ = synth_sessions.generate(str(isolated_home / "synth"), 1 << 20, seed=2)     # all three CLIs
    monkeypatch.setenv(f"RELAY_{provider.upper()}_HOME", homes[provider])
    report = reports.refresh(store, (provider,), workers=1)
    assert report.counters.files_parsed > 0
    assert store.read(session_index.list_sessions) == []          # no detectors, no composition
    full = Store(tmp_path / "full" / "relay.db")
    try:
        index.update(full, discover([provider]), providers=[provider], workers=1)
        assert usage_rows(store) == usage_rows(full)
        assert usage_rows(store)
    finally:
        full.close()
    rows = usage_rows(store)
    scanned = index.update(store, discover([provider]), providers=[provider], workers=1)
    assert scanned.counters.files_parsed == report.counters.files_parsed
    assert len(store.read(session_index.list_sessions)) == scanned.sessions
    assert usage_rows(store) == rows
    again = reports.refresh(store, (provider,), workers=1)
    assert again.counters.bytes_read == 0


def test_the_usage_first_pass_needs_more_bytes_than_a_scan_before_it_starts_a_pool(store, corpus, monkeypatch,
                                                                                     tmp_path):
    """A pool's start costs more than it saves below a few seconds of CPU: the usage-first pass
    reads several times faster than the full parser, so its threshold in bytes is higher."""
    claude = sum(src.size for src in discover(["claude"]))
    monkeypatch.setattr(index, "POOL_MIN_BYTES", claude // 2)
    report = reports.refresh(store, ("claude",), workers=2)
    assert report.workers == 1 and report.counters.files_parsed > 0
    full = Store(tmp_path / "full" / "relay.db")
    try:
        scanned = index.update(full, discover(["claude"]), providers=["claude"], workers=2)
        assert scanned.workers == 2
        assert usage_rows(full) == usage_rows(store)
    finally:
        full.close()


class _EveryLine(ClaudeUsageParser):
    """The usage-first pass fed line by line, as the other parsers are."""
    feed = LineParser.feed


def _outcome(parser):
    # Not the line numbers nor the count of undecodable lines: the marked-lines pass reads only
    # assistant records, and neither reaches a row.
    s = parser.session
    return (s.session_id, s.cwd, parser.offset, s.stats.bytes, s.stats.truncated_tail,
            [(m.message_id, m.request_id, m.timestamp, m.model, m.usage) for m in s.messages])


@pytest.mark.parametrize("chunk", [97, 4096, 1 << 20])
def test_the_marked_lines_pass_reads_what_reading_every_line_reads(tmp_path, chunk):
    homes = synthetic(tmp_path / "synth", size=1 << 20)
    with open(first_synthetic(homes).path, "rb") as f:
        data = f.read()
    assistant = next(line for line in data.splitlines(keepends=True) if b'"type":"assistant"' in line)
    # The session id and cwd arrive late (lines before them are read one by one); then lines that
    # name a marker without being an assistant message, a record that is not an object, an
    # undecodable line with a marker, blank lines, and a torn last line.
    head = (b'{"type":"queue-operation","operation":"enqueue"}\n'
            b'{"type":"user","sessionId":"s-late","message":{"role":"user","content":"\\"assistant\\" usage"}}\n'
            b'\n   \n'
            b'{"type":"user","cwd":"/w","message":{"role":"user","content":[{"type":"text","text":"x"}]}}\n')
    body = (b'{"type":"user","message":{"role":"user","content":"a \\"usage\\" b"},"note":"assistant"}\n'
            b'["usage"]\n{"usage": \n\n' + assistant + b'{"type":"system","usage":{"input_tokens":5}}\n')
    data = head + body + data + body + assistant[:-20]
    outcomes = []
    for cls in (_EveryLine, ClaudeUsageParser):
        parser = cls("f.jsonl")
        read_into(parser, io.BytesIO(data), chunk_size=chunk)
        outcomes.append(_outcome(parser))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][:2] == ("s-late", "/w") and outcomes[1][4] and len(outcomes[1][5]) > 10
