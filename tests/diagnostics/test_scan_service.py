"""The scan service over fixture homes: the JSON shape, filters, and what the numbers mean."""
import json
import os
from datetime import datetime, timezone

import pytest

from relay.diagnostics import scan
from relay.errors import ConfigError
from tests.session_homes import populate

SESSION_KEYS = {"provider", "session_id", "path", "project", "started", "ended", "turns", "tokens", "composition",
                "findings"}


def by_id(payload):
    return {(s["provider"], s["session_id"]): s for s in payload["sessions"]}


def test_payload_shape(store):
    populate()
    payload = scan.run(store)
    assert payload["ok"] is True
    assert json.loads(json.dumps(payload)) == payload             # plain JSON all the way down
    assert len(payload["sessions"]) == 8
    for s in payload["sessions"]:
        assert set(s) == SESSION_KEYS
        assert s["tokens"]["total"] == (s["tokens"]["input_tokens"] + s["tokens"]["output_tokens"]
                                        + s["tokens"]["cache_read_input_tokens"]
                                        + s["tokens"]["cache_creation_input_tokens"])
        assert {"chars", "snr", "duplicate_reads"} <= set(s["composition"])
        for f in s["findings"]:
            assert set(f) == {"detector", "severity", "message", "where"}
    summary = payload["summary"]
    assert summary["sessions"] == 8
    assert summary["turns"] == sum(s["turns"] for s in payload["sessions"])
    assert summary["tokens"]["total"] == sum(s["tokens"]["total"] for s in payload["sessions"])
    assert summary["providers"] == {"claude": 3, "codex": 2, "gemini": 3}
    assert summary["findings"] == {sev: sum(f["severity"] == sev for s in payload["sessions"] for f in s["findings"])
                                   for sev in ("info", "warning", "error")}


def test_numbers_of_known_sessions(store):
    files = populate()
    sessions = by_id(scan.run(store))
    parent = sessions[("claude", "9043e173-9b6d-4aca-8263-f7dc88d302fe")]
    assert parent["tokens"]["total"] == 2 * 4519 + 4519           # two replies + the subagent's
    assert parent["path"] == str(files["session-agent-parent"])
    assert parent["project"] == "/scratch/work10"
    resumed = sessions[("gemini", "d8aecb06-3bb0-4604-9578-89c7c27aa04c")]
    assert resumed["path"] == str(files["session-text-then-resume"])   # the stub is not the session
    assert (resumed["turns"], resumed["tokens"]["total"]) == (2, 2 * 1241)
    codex = sessions[("codex", "01a203be-8902-7872-be43-11f689f1e26b")]
    assert (codex["started"], codex["ended"]) == ("2026-11-22T14:52:28.295Z", "2026-11-22T14:59:07.394Z")


def test_filters(store):
    populate()
    assert {s["provider"] for s in scan.run(store, providers=["gemini"])["sessions"]} == {"gemini"}
    only = scan.run(store, session_id="01a203be-b2a6-7c10-bdcd-fd6f46b37847")["sessions"]
    assert [s["session_id"] for s in only] == ["01a203be-b2a6-7c10-bdcd-fd6f46b37847"]
    late = scan.run(store, since="2026-11-22T14:58:00Z")["sessions"]
    assert {s["session_id"][:8] for s in late} == {"407f40ab", "9043e173", "01a203be", "d8aecb06"}
    assert all(s["ended"] >= "2026-11-22T14:58" for s in late)
    assert scan.run(store, since="2026-11-23")["sessions"] == []


def test_since_skips_files_not_written_since_without_reading_them(store):
    files = populate()
    written = datetime(2026, 11, 22, 15, 0, tzinfo=timezone.utc).timestamp()
    for path in files.values():
        os.utime(path, (written, written))
    payload = scan.run(store, since="2026-11-22T16:00:00Z")
    assert payload["summary"]["index"]["bytes_read"] == 0 and payload["sessions"] == []
    os.utime(files["session-tool-bash"])                          # written now, but its records are old
    payload = scan.run(store, since="2026-11-22T16:00:00Z")
    assert payload["summary"]["index"]["bytes_read"] == files["session-tool-bash"].stat().st_size
    assert payload["sessions"] == []
    assert len(scan.run(store, since="2026-11-22T14:55:00Z")["sessions"]) == 6   # two ended at 14:52


def test_parse_since():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    assert scan.parse_since("7d", now) == datetime(2026, 11, 16, 12, 0, tzinfo=timezone.utc)
    assert scan.parse_since("24h", now) == datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    assert scan.parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert scan.parse_since("2026-11-22T14:58:43.49Z", now) == datetime(2026, 11, 22, 14, 58, 43, 490000,
                                                                        tzinfo=timezone.utc)
    with pytest.raises(ConfigError) as err:
        scan.parse_since("last tuesday", now)
    assert "7d" in err.value.hint


def test_has_errors():
    clean = {"sessions": [{"findings": [{"severity": "warning"}]}]}
    assert not scan.has_errors(clean)
    assert scan.has_errors({"sessions": clean["sessions"] + [{"findings": [{"severity": "error"}]}]})
