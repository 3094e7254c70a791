"""Hostile input over real HTTP: every route of the app (enumerated from Flask's url_map, so
routes added later are covered without touching this file) gets path traversal, SQL injection,
NUL bytes, invalid UTF-8 and huge values in every path variable and in the usual query
parameters. Expected: a 4xx or a correct empty answer, never a 500, never another session's
data, never a file outside static/. Then oversized headers and bodies at the proxy and the API."""
import http.client
import json
import re
import socket
from urllib.parse import quote

import pytest
import requests

from relay import config
from relay.bus import Bus
from relay.proxy.upstream import Upstream
from relay.store import Store
from relay.web.app import create_app
from tests.proxy.conftest import messages_body, wait_rows
from tests.proxy.test_faults import post
from tests.relay_process import RelayProcess

VICTIM = "victim-session-7f3a"
HOSTILE = ["../..", "../../../../etc/passwd", "..%2f..%2f..%2frelay.db", "%2e%2e%2f%2e%2e%2f", "' OR 1=1 --",
           "\" OR \"\"=\"", "1; DROP TABLE exchanges; --", "%", "_", "*", "%00", "a%00b", "%ff%fe", "%c0%ae%c0%ae",
           "\u202e\u0000", "x" * 20000, "-1", "99999999999999999999999", "1e309", "null", "[]", "{}"]
QUERY_NAMES = ["limit", "session_id", "id", "since", "by", "provider", "turn", "format", "q", "offset", "kind",
               "days", "window", "path"]
NO_MATCH = "no-such-session-0000"
# Query parameters get one value of each kind (every route x every name x all of HOSTILE is
# tens of thousands of requests); path variables get all of HOSTILE.
QUERY_HOSTILE = ["../../../../etc/passwd", "' OR 1=1 --", "1; DROP TABLE exchanges; --", "%", "a%00b",
                 "%ff%fe", "x" * 20000, "-1", "99999999999999999999999", "1e309"]


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    """Every rule of the app: (rule text, methods, variable names)."""
    home = tmp_path_factory.mktemp("routes")
    store = Store(home / "relay.db")
    try:
        app = create_app(config.load({}, environ={}, config_file=home / "none.toml"), store, Bus(),
                         Upstream("http://127.0.0.1:9"))
        return [(r.rule, sorted(r.methods - {"HEAD", "OPTIONS"}), sorted(r.arguments))
                for r in app.url_map.iter_rules()]
    finally:
        store.close()


@pytest.fixture
def seeded(upstream, monkeypatch):
    process = RelayProcess(upstream.url, "--history").start()
    post(process, messages_body(stream=False), **{"X-Claude-Code-Session-Id": VICTIM})
    wait_rows(process.url, 1)
    yield process
    process.stop()


def _get(relay, target, method="GET", body=None):
    """The exact request target, unnormalised (requests/urllib3 would remove dot segments)."""
    conn = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        if resp.getheader("Content-Type", "").startswith("text/event-stream"):
            return resp.status, b""   # /api/v1/events streams until the client leaves: its status is the answer
        return resp.status, resp.read()
    finally:
        conn.close()


def _fill(rule, value):
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: value, rule)


def _check(status, body, where):
    assert status < 500, f"{where} -> {status}: {body[:300]!r}"
    assert VICTIM.encode() not in body, f"{where} returned another session's data"
    assert b"CREATE TABLE" not in body and b"import " not in body and b"root:" not in body, where


def test_route_table_is_not_empty(routes):
    rules = [r for r, _, _ in routes]
    assert "/api/v1/health" in rules and any("<" in r for r in rules)


def test_hostile_path_variables(seeded, routes):
    for rule, methods, args in routes:
        if not args:
            continue
        for value in HOSTILE:
            for encoded in (quote(value, safe=""), quote(value, safe="/%")):
                target = _fill(rule, encoded)
                for method in methods:
                    status, body = _get(seeded, target, method, body=b"{}" if method != "GET" else None)
                    _check(status, body, f"{method} {target[:120]}")


def test_hostile_query_parameters(seeded, routes):
    for rule, methods, _args in routes:
        if "GET" not in methods or rule.startswith("/static"):
            continue
        base = _fill(rule, NO_MATCH)
        for name in QUERY_NAMES:
            status, baseline = _get(seeded, f"{base}?{name}={NO_MATCH}")
            filters = status == 200 and VICTIM.encode() not in baseline
            for value in QUERY_HOSTILE:
                status, body = _get(seeded, f"{base}?{name}={quote(value, safe='%')}")
                assert status < 500, f"GET {base}?{name}={value[:40]!r} -> {status}: {body[:300]!r}"
                if filters:   # a parameter that filters must not be talked out of it
                    assert VICTIM.encode() not in body, f"{base}?{name}={value[:40]!r} leaked the victim"


def test_hostile_json_bodies_on_every_post_route(seeded, routes):
    for rule, methods, args in routes:
        if "POST" not in methods:
            continue
        target = _fill(rule, NO_MATCH)
        for value in HOSTILE:
            payload = json.dumps({name: value for name in QUERY_NAMES + args}).encode()
            for body in (payload, b"\xff\xfe{not json", b"[" * 5000):
                status, answer = _get(seeded, target, "POST", body)
                _check(status, answer, f"POST {target} {body[:40]!r}")


def test_injection_changed_nothing(seeded, routes):
    test_hostile_query_parameters(seeded, routes)
    health = requests.get(seeded.url + "/api/v1/health", timeout=10).json()
    assert health["counts"]["requests"] == 1 and health["store"] == "ok"
    [row] = requests.get(seeded.url + "/api/v1/requests", timeout=10).json()["requests"]
    assert row["session_id"] == VICTIM


def test_static_files_stay_inside_static(seeded):
    for target in ("/static/../relay/__init__.py", "/static/%2e%2e/relay/__init__.py", "/static/..%2frelay.py",
                   "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/static/....//relay.py", "/static/%00",
                   "/static//etc/passwd"):
        status, body = _get(seeded, target)
        assert status in (308, 400, 403, 404), (target, status)   # 308: merged slashes, still under /static
        _check(status, body, target)


def _raw(relay, data):
    with socket.create_connection(("127.0.0.1", relay.port), timeout=30) as client:
        client.sendall(data)
        got = b""
        try:
            while True:
                chunk = client.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return got


@pytest.mark.parametrize("path", ["/v1/messages", "/api/v1/health"])
def test_oversized_headers_are_refused_and_relay_goes_on(relay, upstream, path):
    huge = b"x-filler: " + b"a" * (2 * 1024 * 1024) + b"\r\n"
    got = _raw(relay, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + huge
               + b"Connection: close\r\n\r\n")
    # Refused with an answer, not a silent close (which would also "not be a 5xx").
    assert got.startswith(b"HTTP/1.1 4"), got[:200]
    many = b"".join(b"x-h%d: v\r\n" % i for i in range(20000))
    got = _raw(relay, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + many
               + b"Connection: close\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 4"), got[:200]
    assert requests.get(relay.url + "/api/v1/health", timeout=10).json()["ok"] is True
    assert post(relay, messages_body(stream=False)).status_code == 200


def test_oversized_body_to_the_api_is_not_a_500(relay):
    resp = requests.post(relay.url + "/api/v1/health", data=b"x" * (20 * 1024 * 1024), timeout=60)
    assert 400 <= resp.status_code < 500 and resp.json()["ok"] is False


def test_invalid_utf8_passes_the_proxy_byte_for_byte(relay, upstream):
    body = b'{"model": "claude-opus-5-5", "messages": [{"role": "user", "content": "\xff\xfe\xc0\xae"}]}'
    resp = post(relay, body)
    assert resp.status_code == 400   # the fake (like the real API) refuses it; relay does not judge
    assert upstream.requests[-1]["body"] == body
    got = _raw(relay, b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"X-Claude-Code-Session-Id: \xff\xfe<script>\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
               % (len(messages_body(stream=False)), messages_body(stream=False)))
    assert got.startswith(b"HTTP/1.1 200"), got[:200]
    rows = wait_rows(relay.url, 2)
    page = requests.get(relay.url + "/", timeout=10)
    assert page.status_code == 200 and "<script>" not in page.text
    assert {r["outcome"] for r in rows} == {"ok", "upstream_error"}


def test_default_bind_is_loopback_only(relay):
    import psutil
    listening = [c for c in psutil.Process(relay.proc.pid).net_connections(kind="inet") if c.status == "LISTEN"]
    assert listening and {c.laddr.ip for c in listening} == {"127.0.0.1"}


@pytest.mark.parametrize("path", ["/v1/messages", "/openai/v1/responses",
                                  "/gemini/v1beta/models/gemini-2.5-pro:generateContent"])
def test_proxy_mounts_accept_only_what_a_cli_sends(relay, upstream, path):
    """A web page can make the browser POST to a mount (a form, a fetch with no-cors) and, after
    DNS rebinding, read the answer: each carries an Origin or Sec-Fetch-Site, or a foreign Host,
    which no CLI sends. Refused before anything goes upstream or is recorded."""
    browser = ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": f"http://127.0.0.1:{relay.port}"},
               {"Sec-Fetch-Site": "cross-site"}, {"Host": "evil.example"}, {"Host": f"rebound.example:{relay.port}"})
    for headers in browser:
        resp = post(relay, messages_body(stream=False), path=path, **headers)
        assert resp.status_code == 403, (headers, resp.text)
        assert "relay" in resp.text   # the provider's own error shape, saying who refused
    assert upstream.requests == []
    assert requests.get(relay.url + "/api/v1/requests", timeout=10).json()["requests"] == []
    # what the CLIs send (Gemini CLI's fetch adds Sec-Fetch-Mode: cors, never Sec-Fetch-Site) passes
    assert post(relay, messages_body(stream=False), path=path, **{"Sec-Fetch-Mode": "cors"}).status_code == 200


def test_request_target_is_forwarded_as_received(relay, upstream):
    """No percent-decoding on the way up: an encoded slash stays encoded (decoded, `..%2f..%2f`
    would climb out of the mount's base path at upstream)."""
    for sent, expected in (("/openai/..%2f..%2fx?q=%2e%2e", "/..%2f..%2fx?q=%2e%2e"),
                           ("/v1/messages%3Fbeta=true", "/v1/messages%3Fbeta=true"),
                           ("/gemini/v1beta/models/a%20b:generateContent", "/v1beta/models/a%20b:generateContent")):
        with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as client:
            client.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % sent.encode())
            while client.recv(65536):
                pass
        assert upstream.requests[-1]["path"] == expected
