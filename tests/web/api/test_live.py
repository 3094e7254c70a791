"""GET /api/v1/sessions/alive and POST /api/v1/session-terminal on a real relay, with a real
child process named `claude` standing in for a running CLI."""
import pytest
import requests

from tests.fake_clis import FakeCLIs


@pytest.fixture
def clis(tmp_path):
    fakes = FakeCLIs(tmp_path / "bin")
    yield fakes
    fakes.stop()


def _alive(relay, pid):
    body = requests.get(f"{relay.url}/api/v1/sessions/alive", timeout=30).json()
    assert body["ok"] is True
    return next(s for s in body["sessions"] if s["pid"] == pid)


def test_registered_terminal_is_merged_into_alive_sessions(relay, clis, tmp_path):
    proc = clis.start("claude", tmp_path, env={"TMUX": "/tmp/tmux-1/default,1,0"})
    row = _alive(relay, proc.pid)
    assert (row["cli"], row["cwd"], row["connection"], row["terminal"]) == ("claude", str(tmp_path), ["tmux"], None)

    posted = requests.post(f"{relay.url}/api/v1/session-terminal", timeout=10,
                           json={"pid": proc.pid, "term_program": "iTerm.app", "tmux_pane": "%3", "ssh": False})
    assert posted.status_code == 200 and posted.json()["terminal"]["tmux_pane"] == "%3"
    terminal = _alive(relay, proc.pid)["terminal"]
    assert (terminal["term_program"], terminal["tmux_pane"], terminal["ssh"]) == ("iTerm.app", "%3", False)


def test_register_by_session_id_and_same_origin_page(relay):
    posted = requests.post(f"{relay.url}/api/v1/session-terminal", json={"session_id": "s-1", "term": "xterm"},
                           headers={"Origin": relay.url}, timeout=10)
    assert posted.status_code == 200 and posted.json()["terminal"]["session_id"] == "s-1"


@pytest.mark.parametrize("body, message", [
    ({"term": "xterm"}, "give pid or session_id"),
    ({"pid": "12"}, "pid must be a positive whole number"),
    ({"pid": 12, "api_key": "sk-ant-secret"}, "unknown field(s): api_key"),
    ({"pid": 12, "term": 5}, "term must be a string"),
    ({"pid": 12, "ssh": "yes"}, "ssh must be true or false"),
    ([1, 2], "send a JSON object"),
])
def test_bad_registrations_are_clear_400s(relay, body, message):
    response = requests.post(f"{relay.url}/api/v1/session-terminal", json=body, timeout=10)
    assert response.status_code == 400
    envelope = response.json()
    assert envelope["ok"] is False and envelope["status"] == 400 and message in envelope["error"]


def test_not_json_and_foreign_origin(relay):
    response = requests.post(f"{relay.url}/api/v1/session-terminal", data="pid=1", timeout=10)
    assert response.status_code == 400 and "must be JSON" in response.json()["error"]
    foreign = requests.post(f"{relay.url}/api/v1/session-terminal", json={"pid": 1},
                            headers={"Origin": "http://evil.example"}, timeout=10)
    assert foreign.status_code == 403 and foreign.json()["ok"] is False


def test_registry_keeps_the_newest_entries_and_matches_pid_first():
    from relay.web.api.live import TerminalRegistry
    registry = TerminalRegistry(max_entries=2)
    registry.register(1, None, {"term": "a"})
    registry.register(2, None, {"term": "b"})
    registry.register(3, "s-3", {"term": "c"})        # two keys: pid 3 and session s-3
    assert registry.lookup(1, None) is None and registry.lookup(2, None) is None
    assert registry.lookup(99, "s-3")["term"] == "c" and registry.lookup(3, None)["term"] == "c"
