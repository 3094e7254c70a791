"""`relay top` and `relay guard` name a relay by URL (--url, else RELAY_URL): a team relay behind
HTTPS or a path prefix. The join keeps the prefix; bad URLs are refused in one line; and both
commands reach a real `relay serve --auth-tokens` at its root URL and behind a reverse proxy that
serves it under /team/ only (a join that dropped the prefix would get the proxy's 404)."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from relay.cli import target
from relay.errors import RelayError
from tests.cli.test_remote_token import _relay_cmd, busy_relay  # noqa: F401  (fixture reused)
from tests.proxy.conftest import upstream  # noqa: F401  (fixture reused)
from tests.web.test_auth import auth_relay, people  # noqa: F401  (fixtures reused)

PREFIX = "/team"


@pytest.mark.parametrize(("url", "base"), [
    ("https://relay.internal/team/", "https://relay.internal/team"),
    ("https://relay.internal/team", "https://relay.internal/team"),
    ("http://relay.internal:8083/", "http://relay.internal:8083"),
    ("http://relay.internal:8083", "http://relay.internal:8083"),
    ("  https://relay.internal/a/b//  ", "https://relay.internal/a/b"),
    ("http://[::1]:8083/x/", "http://[::1]:8083/x"),
])
def test_url_is_the_base_every_api_path_joins(url, base):
    assert target.resolve(url, None, None, {})[0] == base


@pytest.mark.parametrize(("url", "message"), [
    ("relay.internal:8083", "must be an http:// or https:// URL"),
    ("ftp://relay.internal/", "must be an http:// or https:// URL"),
    ("https:///team/", "must be an http:// or https:// URL"),
    ("http://relay.internal:port/", "must be an http:// or https:// URL"),
    ("https://ann:relay_secret@relay.internal/", "must not hold a user or password"),
    ("https://relay.internal/team/?x=1", "must not have a query or fragment"),
    ("https://relay.internal/team/#top", "must not have a query or fragment"),
])
def test_bad_urls_are_refused(url, message):
    with pytest.raises(RelayError, match=message) as raised:
        target.resolve(url, None, None, {})
    assert "relay_secret" not in str(raised.value)


def test_which_relay_flags_then_relay_url_then_settings(monkeypatch):
    env = {"RELAY_URL": "https://relay.internal/team/"}
    monkeypatch.setenv("RELAY_HOST", "10.0.0.5")
    assert target.resolve(None, None, None, env)[0] == "https://relay.internal/team"   # RELAY_URL over RELAY_HOST
    assert target.resolve(None, None, 9000, env)[0] == "http://10.0.0.5:9000"           # a flag over RELAY_URL
    assert target.resolve(None, "0.0.0.0", 9000, env)[0] == "http://127.0.0.1:9000"
    assert target.resolve(None, None, None, {"RELAY_URL": " "})[0] == "http://10.0.0.5:8083"
    with pytest.raises(RelayError, match="RELAY_URL must be an http"):
        target.resolve(None, None, None, {"RELAY_URL": "relay.internal"})
    with pytest.raises(RelayError, match="not both"):
        target.resolve("https://relay.internal/", None, 9000, {})


class _PrefixProxy(ThreadingHTTPServer):
    """A reverse proxy publishing one relay under PREFIX, as a team's HTTPS front end would."""
    daemon_threads = True

    def __init__(self, relay_url):
        super().__init__(("127.0.0.1", 0), _Forward)
        self.relay_url = relay_url
        self.paths = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}{PREFIX}/"


class _Forward(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.paths.append(self.path)
        if not self.path.startswith(PREFIX + "/"):
            self.send_error(404)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("x-relay-token", "accept")}
        answer = requests.get(self.server.relay_url + self.path[len(PREFIX):], headers=headers, timeout=10)
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)


@pytest.fixture
def prefixed(busy_relay):
    relay, token = busy_relay
    proxy = _PrefixProxy(relay.url)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy, token
    proxy.shutdown()
    proxy.server_close()
    thread.join(10)


def test_top_and_guard_reach_a_relay_at_its_root_url(busy_relay):
    relay, token = busy_relay
    done = _relay_cmd("top", "--once", "--width", "150", "--url", relay.url + "/", token=token)
    assert done.returncode == 0, done.stderr
    assert f"● live {relay.url}" in done.stdout and "claude-opus-5-5" in done.stdout
    done = _relay_cmd("guard", "--url", relay.url, "--format", "json", token=token)
    assert done.returncode == 0 and '"source": "live"' in done.stdout, done.stderr


def test_top_and_guard_reach_a_relay_behind_a_path_prefix(prefixed, monkeypatch):
    proxy, token = prefixed
    base = proxy.url.rstrip("/")
    done = _relay_cmd("top", "--once", "--width", "150", "--url", proxy.url, token=token)
    assert done.returncode == 0, done.stderr
    assert f"● live {base}" in done.stdout and "claude-opus-5-5" in done.stdout
    assert token not in done.stdout + done.stderr

    monkeypatch.setenv("RELAY_URL", proxy.url)   # the default when no --url, --host or --port is given
    done = _relay_cmd("guard", "--format", "json", token=token)
    assert done.returncode == 0 and '"source": "live"' in done.stdout, done.stderr
    assert {p.split("?")[0] for p in proxy.paths} == {f"{PREFIX}/api/v1/health", f"{PREFIX}/api/v1/dashboard",
                                                      f"{PREFIX}/api/v1/guard"}

    done = _relay_cmd("guard", "--format", "json")    # no token: refused, naming the prefixed URL
    assert done.returncode == 2 and f"the relay at {base} needs a token: set RELAY_TOKEN" in done.stderr


def test_init_remote_checks_its_url_the_same_way():
    done = _relay_cmd("init", "--remote", "https://ann:relay_secret@relay.internal/team/", token="relay_x")
    assert done.returncode == 2 and "--remote must not hold a user or password" in done.stderr
    assert "relay_secret" not in done.stdout + done.stderr
