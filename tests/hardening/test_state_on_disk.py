"""No executable state on disk, and nothing relay writes readable by another user.

Parser states are JSON read through a fixed schema: a pickle planted where an older relay kept
its states is never loaded (it is removed), and a JSON state cannot name a class. Every file and
folder relay writes in its data dir is 0600/0700 with a umask of 000 and a data dir that already
existed 0755, session-state/ included, for `relay scan` and for a served relay."""
import json
import os
import pickle
import sqlite3
import stat
from pathlib import Path

import pytest
import requests

from relay.sessions import state
from relay.sessions.parsers import parser_for
from tests.proxy.conftest import messages_body, wait_rows
from tests.proxy.test_faults import post
from tests.relay_process import RelayProcess
from tests.run_relay import run_relay
from tests.session_homes import grow, populate


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.fixture
def shared_home(tmp_path, monkeypatch):
    """A data dir that existed before relay, world-readable: relay leaves its mode alone."""
    home = tmp_path / "shared-home"
    home.mkdir()
    os.chmod(home, 0o755)
    monkeypatch.setenv("RELAY_HOME", str(home))
    return home


def _not_private(home):
    wrong = []
    for folder, dirs, files in os.walk(home):
        for name in dirs:
            if _mode(os.path.join(folder, name)) != 0o700:
                wrong.append((os.path.join(folder, name), oct(_mode(os.path.join(folder, name)))))
        for name in files:
            if _mode(os.path.join(folder, name)) != 0o600:
                wrong.append((os.path.join(folder, name), oct(_mode(os.path.join(folder, name)))))
    return wrong


def test_scan_writes_only_private_files_with_umask_000(shared_home, open_umask):
    populate()
    done = run_relay("scan", "--format", "json")
    assert done.returncode == 0, done.stderr
    states = list((shared_home / "session-state").iterdir())
    assert states and all(p.suffix == ".json" for p in states)
    assert _not_private(shared_home) == []
    assert _mode(shared_home) == 0o755


def test_served_relay_writes_only_private_files_with_umask_000(upstream, shared_home, open_umask):
    grow(populate()["session-tool-bash"])   # a file large enough to keep a state
    with RelayProcess(upstream.url, "--history") as relay:
        post(relay, messages_body(stream=False))
        wait_rows(relay.url, 1)
        # the cost API indexes the sessions: session-state/ written by the server too
        assert requests.get(relay.url + "/api/v1/cost", timeout=60).status_code == 200
        assert (shared_home / "session-state").is_dir()
        assert _not_private(shared_home) == []


def test_a_state_folder_made_wide_by_an_older_relay_is_narrowed(shared_home, open_umask):
    populate()
    (shared_home / "session-state").mkdir(mode=0o777)
    os.chmod(shared_home / "session-state", 0o777)
    assert run_relay("scan", "--format", "json").returncode == 0
    assert _mode(shared_home / "session-state") == 0o700


class _Boom:
    def __reduce__(self):
        return (Path.touch, (Path(os.environ["RELAY_HOME"]) / "PWNED",))


def _plant_pickles(directory, sources):
    """What an older relay (state version 2) wrote, with a payload that runs on load."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in sources:
        digest = state._file(str(directory), str(path)).rsplit("/", 1)[1].rsplit(".", 1)[0]
        payload = pickle.dumps((2, str(path), 0, _Boom()))
        (directory / f"{digest}.pickle").write_bytes(b"relay-session-state\n" + payload)


def test_a_planted_pickle_is_never_loaded_and_is_removed(shared_home):
    files = populate()
    assert run_relay("scan", "--format", "json").returncode == 0
    # The rows say version 2 (an older relay's index), with a pickle for every file.
    with sqlite3.connect(shared_home / "relay.db") as conn:
        conn.execute("UPDATE session_files SET parser_version = 2, offset = 0, tail_hash = NULL")
    conn.close()
    for p in (shared_home / "session-state").iterdir():
        p.unlink()
    _plant_pickles(shared_home / "session-state", files.values())
    for path in files.values():      # append a line so each file is read again
        with open(path, "ab") as f:
            f.write(b"\n")
    done = run_relay("scan", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert not (shared_home / "PWNED").exists()
    assert not list((shared_home / "session-state").glob("*.pickle"))


def test_a_state_cannot_name_a_class(tmp_path):
    """Whatever a state file holds, load() builds only the parser it was given and models."""
    parser = parser_for("claude", "/x.jsonl")
    parser.end(parser.feed(b'{"type":"user","uuid":"u1","message":{"role":"user","content":"hi"}}\n'))
    directory = str(tmp_path / "state")
    assert state.save(directory, "/x.jsonl", parser) > 0
    target = Path(state._file(directory, "/x.jsonl"))
    head, body = target.read_bytes().split(b"\n", 1)
    doc = json.loads(body)
    assert doc[3] == "ClaudeParser" and type(doc[4]) is dict
    for kind in ("CodexParser", "os.system", "builtins.eval"):
        doc[3] = kind
        target.write_bytes(head + b"\n" + json.dumps(doc).encode())
        assert state.load(directory, "/x.jsonl", parser.offset, parser_for("claude", "/x.jsonl")) is None
    doc[3], doc[4]["session"] = "ClaudeParser", {"__class__": "os.system"}
    target.write_bytes(head + b"\n" + json.dumps(doc).encode())
    assert state.load(directory, "/x.jsonl", parser.offset, parser_for("claude", "/x.jsonl")) is None
