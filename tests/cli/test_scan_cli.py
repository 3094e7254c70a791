"""`relay scan` as a user runs it: a subprocess over CLI homes laid out from the fixtures."""
import json

from tests.run_relay import assert_clean_error
from tests.run_relay import run_relay as relay
from tests.session_homes import populate


def test_json_output_shape_and_clean_exit():
    populate()
    done = relay("scan", "--format", "json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["ok"] is True and set(payload) == {"ok", "sessions", "summary"}
    assert len(payload["sessions"]) == 8
    for s in payload["sessions"]:
        assert set(s) == {"provider", "session_id", "path", "project", "started", "ended", "turns", "tokens",
                          "composition", "findings"}
        assert all(set(f) == {"detector", "severity", "message", "where"} for f in s["findings"])
    assert payload["summary"]["findings"]["error"] == 0
    again = json.loads(relay("scan", "--format", "json", "--provider", "codex").stdout)
    assert again["summary"]["index"]["bytes_read"] == 0
    assert {s["provider"] for s in again["sessions"]} == {"codex"}


def _broken_claude_session(home):
    """A reply that calls a tool, then a second reply with no tool_result in between."""
    def line(kind, uuid, content, mid=None):
        record = {"type": kind, "uuid": uuid, "sessionId": "broken-1", "timestamp": "2026-11-22T10:00:00Z",
                  "message": {"role": kind, "content": content}}
        if mid:
            record["message"].update(id=mid, model="claude-x", usage={"input_tokens": 1, "output_tokens": 1})
        return json.dumps(record)
    lines = [line("user", "u1", "read it"),
             line("assistant", "a1",
                  [{"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": "x"}}], "m1"),
             line("user", "u2", "hello?"),
             line("assistant", "a2", [{"type": "text", "text": "hi"}], "m2")]
    target = home / "projects" / "-work" / "broken-1.jsonl"
    target.parent.mkdir(parents=True)
    target.write_text("\n".join(lines) + "\n")


def test_an_error_finding_makes_the_exit_code_1(isolated_home):
    _broken_claude_session(isolated_home / ".claude")
    done = relay("scan", "--format", "json")
    assert done.returncode == 1, done.stderr
    (session,) = json.loads(done.stdout)["sessions"]
    assert any(f["severity"] == "error" and f["detector"] == "orphan" for f in session["findings"])
    plain = relay("scan")
    assert plain.returncode == 1 and "broken-1" in plain.stdout and "orphan" in plain.stdout


def test_plain_and_rich_formats():
    populate()
    plain = relay("scan", "--format", "plain")
    assert plain.returncode == 0 and "8 session(s)" in plain.stdout
    assert "01a203be-8902-7872-be43-11f689f1e26b" in plain.stdout
    rich = relay("scan", "--format", "rich", "--session-id", "407f40ab-ad0c-4ec0-a449-0c486572a588")
    assert rich.returncode == 0 and "1 session(s)" in rich.stdout and "Sessions" in rich.stdout


def test_bad_arguments_give_a_message_and_a_hint_not_a_traceback():
    assert_clean_error(relay("scan", "--since", "someday"), "--since 'someday'")


def test_an_unusable_data_dir_is_an_error_message(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("RELAY_HOME", str(blocker))
    assert_clean_error(relay("scan"), "cannot open relay's database")
