"""`relay recover` as a user runs it: a subprocess over CLI homes laid out from the fixtures."""
import json
from pathlib import Path

from tests.run_relay import assert_clean_error
from tests.run_relay import run_relay as relay
from tests.session_homes import populate


def test_recover_cli_repairs_and_reports():
    path = populate()["session-tool-bash"]
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:20]) + b"\n" + lines[22][:50])
    sid = "c6591387-3c88-4bda-9ab0-808028906ae9"
    dry = relay("recover", "--session-id", sid, "--dry-run")
    assert dry.returncode == 0 and "would change 2" in dry.stdout and "line 20:" in dry.stdout
    done = relay("recover", "--session-id", sid, "--format", "json")
    report = json.loads(done.stdout)
    assert report["written"] and Path(report["backup"]).exists()
    again = relay("recover", "--session-id", sid)
    assert again.returncode == 0 and "nothing to repair" in again.stdout


def test_recover_unknown_session_is_a_clean_error():
    assert_clean_error(relay("recover", "--session-id", "no-such-session"), "no session file found")
