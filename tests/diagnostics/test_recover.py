import json

import pytest

from relay.diagnostics import recover as recover_mod
from relay.diagnostics.recover import find_session_file, recover, repair
from relay.errors import NotFound, RelayError
from relay.sessions.detectors import detect_all
from relay.sessions.parsers import parse_bytes, parse_file
from tests.session_homes import populate

CLAUDE_ID = "c6591387-3c88-4bda-9ab0-808028906ae9"      # session-tool-bash: Bash tool_use on line 20
CODEX_ID = "01a203be-b2a6-7c10-bdcd-fd6f46b37847"       # rollout-tool-exec_command: function_call on line 10
GEMINI_ID = "fe5694d2-7983-4c24-a14d-0390b4d1562b"


def _lines(path):
    return path.read_bytes().split(b"\n")


def _cut(path, keep, torn_from=None, torn_bytes=200):
    """Keep the first `keep` lines, then optionally the first bytes of line `torn_from` (no newline)."""
    lines = _lines(path)
    data = b"\n".join(lines[:keep]) + b"\n"
    if torn_from:
        data += lines[torn_from - 1][:torn_bytes]
    path.write_bytes(data)
    return data


def _problems(provider, path):
    session = parse_file(provider, path)
    found = [f for f in detect_all(session) if f.detector in ("orphan", "resume")]
    return session.stats.bad_lines, session.stats.truncated_tail, found


def _claude_chain_ok(path):
    objs = [json.loads(line) for line in path.read_bytes().splitlines()]
    uuids = {o["uuid"] for o in objs if o.get("uuid")}
    return all(o.get(k) in uuids for o in objs for k in ("parentUuid", "leafUuid") if o.get(k))


def test_claude_file_cut_at_a_tool_call_with_a_torn_last_line_is_made_resumable():
    path = populate()["session-tool-bash"]
    original = _cut(path, 22, torn_from=23)
    bad, torn, found = _problems("claude", path)
    assert torn and [f.detector for f in found] == ["orphan", "resume"]

    report = recover(CLAUDE_ID)

    assert report["written"] and report["provider"] == "claude" and report["path"] == str(path)
    assert [(c["kind"], c["line"]) for c in report["changes"]] == [("added_result", 20), ("dropped_line", 23)]
    backup = path.with_name(report["backup"].rsplit("/", 1)[-1])
    assert backup.read_bytes() == original
    assert _problems("claude", path) == (0, False, [])
    assert _claude_chain_ok(path)
    repaired = _lines(path)
    assert repaired[:20] == original.split(b"\n")[:20]        # untouched lines stay byte for byte
    stub = json.loads(repaired[20])
    assert stub["parentUuid"] == json.loads(repaired[19])["uuid"]
    assert stub["message"]["content"][0]["is_error"] is True
    assert json.loads(repaired[21])["leafUuid"] == stub["uuid"]   # last-prompt follows the new leaf


def test_dry_run_and_healthy_files_write_nothing():
    path = populate()["session-tool-bash"]
    healthy = path.read_bytes()
    report = recover(CLAUDE_ID)
    assert report["changes"] == [] and not report["written"] and report["backup"] is None
    assert path.read_bytes() == healthy
    cut = _cut(path, 20)
    report = recover(CLAUDE_ID, dry_run=True)
    assert [c["kind"] for c in report["changes"]] == ["added_result"] and not report["written"]
    assert path.read_bytes() == cut and list(path.parent.glob("*.bak-*")) == []


def test_record_after_a_tear_is_salvaged_and_the_chain_relinked():
    path = populate()["session-tool-bash"]
    lines = _lines(path)
    # Line 24 (the prompt snapshot) was cut mid-write and a resumed run appended line 25 after it.
    torn = lines[:23] + [lines[23][:500] + lines[24]] + lines[25:]
    path.write_bytes(b"\n".join(torn))
    report = recover(CLAUDE_ID)
    kinds = [(c["kind"], c["line"]) for c in report["changes"]]
    assert ("salvaged_record", 24) in kinds and ("relinked", 25) in kinds
    assert _claude_chain_ok(path) and _problems("claude", path) == (0, False, [])
    assert json.loads(_lines(path)[23])["type"] == "api-request"


def test_result_without_its_call_is_removed_and_children_follow_its_parent():
    lines = open(populate()["session-tool-bash"], "rb").read().split(b"\n")
    result = json.loads(lines[22])
    result["message"]["content"][0]["tool_use_id"] = "toolu_ghost"
    data = b"\n".join(lines[:22] + [json.dumps(result).encode()] + lines[23:])
    body, changes = repair(data, "claude")
    assert [(c.kind, c.line) for c in changes] == [("added_result", 20), ("removed_result", 23), ("relinked", 24)]
    objs = [json.loads(x) for x in body.splitlines()]
    assert all(o.get("uuid") != result["uuid"] for o in objs)
    snapshot = next(o for o in objs if o.get("uuid") == "a683b951-805c-4685-bc66-1f7b53968cfa")
    stub = next(o for o in objs if o.get("sourceToolAssistantUUID") == result["parentUuid"])
    assert snapshot["parentUuid"] == stub["uuid"]       # the removed line's child hangs from its parent's new leaf


def test_codex_call_without_output_gets_one_and_ordinals_stay_contiguous():
    path = populate()["rollout-tool-exec_command"]
    _cut(path, 11, torn_from=12)
    report = recover(CODEX_ID, provider="codex")
    assert [(c["kind"], c["line"]) for c in report["changes"]] == [("added_result", 10), ("dropped_line", 12)]
    objs = [json.loads(x) for x in path.read_bytes().splitlines()]
    assert [o["ordinal"] for o in objs] == list(range(len(objs)))
    assert objs[10]["payload"] == {"type": "function_call_output", "call_id": "call_fake_819b9707",
                                   "output": recover_mod.recover_formats.STUB}
    assert _problems("codex", path) == (0, False, [])


def test_gemini_tool_call_without_result_is_answered_in_its_own_format():
    path = populate()["session-tool-run_shell_command"]
    lines = _lines(path)
    record = json.loads(lines[6])
    del record["toolCalls"][0]["result"]
    path.write_bytes(b"\n".join(lines[:6] + [json.dumps(record).encode()]) + b"\n")
    assert [f.detector for f in _problems("gemini", path)[2]] == ["orphan"]
    report = recover(GEMINI_ID)
    assert report["provider"] == "gemini" and [c["kind"] for c in report["changes"]] == ["added_result"]
    assert _problems("gemini", path) == (0, False, [])
    again, changes = repair(path.read_bytes(), "gemini")
    assert changes == [] and again == path.read_bytes()


def test_find_session_file_by_id_per_provider():
    files = populate()
    assert find_session_file(CLAUDE_ID) == ("claude", files["session-tool-bash"])
    assert find_session_file(CODEX_ID, provider="codex") == ("codex", files["rollout-tool-exec_command"])
    # The resume stub shares the id prefix; the main file is the one repaired.
    assert find_session_file("d8aecb06-3bb0-4604-9578-89c7c27aa04c")[1] == files["session-text-then-resume"]
    with pytest.raises(NotFound):
        find_session_file(CLAUDE_ID, provider="codex")
    with pytest.raises(NotFound):
        find_session_file("d8aecb06-0000-0000-0000-000000000000")


def test_file_that_changes_during_the_repair_is_not_replaced(monkeypatch):
    path = populate()["session-tool-bash"]
    _cut(path, 20)
    real_backup = recover_mod.backup

    def backup_then_cli_writes(p):
        saved = real_backup(p)
        with open(p, "ab") as f:
            f.write(b'{"type":"atis-latch"}\n')
        return saved
    monkeypatch.setattr(recover_mod, "backup", backup_then_cli_writes)
    before = path.read_bytes()
    with pytest.raises(RelayError, match="changed while"):
        recover(CLAUDE_ID)
    assert path.read_bytes() == before + b'{"type":"atis-latch"}\n'
    assert not list(path.parent.glob("*.relay-recover"))


def test_parse_of_repaired_bytes_matches_the_file_layout():
    data = b'{"type":"user","sessionId":"s","uuid":"a","parentUuid":null,"message":{"role":"user","content":"hi"}}'
    body, changes = repair(data, "claude")
    assert [c.kind for c in changes] == ["added_newline"] and body == data + b"\n"
    assert parse_bytes("claude", body).stats.truncated_tail is False
