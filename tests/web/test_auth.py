"""Access tokens (`relay serve --auth-tokens FILE`): every page, API route, SSE stream, /metrics
and proxy mount refuses a missing or wrong token and accepts a person's; the browser signs in
with a cookie; relay's header never reaches upstream; each exchange is attributed to the
token's person; and no token is ever written to the database or the logs.

Auth is on at 127.0.0.1 here (the tokens file passed explicitly): binding beyond loopback is
only refused without tokens, which tests/cli/test_tokens_cli.py checks."""
import json
import re
import time

import pytest
import requests

from relay import config, paths
from relay.bus import Bus
from relay.proxy.mounts import ROUTES
from relay.store import Store
from relay.web import tokens as tokens_file
from relay.web.app import create_app
from tests.proxy.conftest import messages_body
from tests.relay_process import RelayProcess

WRONG = "relay_not-the-right-token-0123456789abcdefghijk"
# One request per mount, shaped as its CLI sends it.
PROXY_CALLS = {
    "/v1": ("/v1/messages", messages_body(stream=False)),
    "/openai": ("/openai/v1/responses", json.dumps({"model": "gpt-5-codex", "input": "hi", "stream": False}).encode()),
    "/gemini": ("/gemini/v1beta/models/gemini-2.5-flash:generateContent",
                json.dumps({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}).encode()),
    "/backend-api": ("/backend-api/codex/responses",
                     json.dumps({"model": "gpt-5-codex", "input": "hi", "stream": False}).encode()),
    "/v1internal": ("/v1internal:generateContent",
                    json.dumps({"model": "gemini-2.5-flash", "request": {"contents": []}}).encode()),
}


@pytest.fixture
def people(tmp_path):
    path = tmp_path / "tokens.toml"
    return path, {"alice": tokens_file.add(path, "alice"), "bob": tokens_file.add(path, "bob")}


@pytest.fixture
def auth_relay(upstream, people):
    process = RelayProcess(upstream.url, "--auth-tokens", str(people[0])).start()
    yield process
    process.stop()


def _wait_finished(relay, token, count):
    deadline = time.time() + 10
    while time.time() < deadline:
        rows = requests.get(relay.url + "/api/v1/requests", headers={"X-Relay-Token": token}, timeout=5).json()
        if sum(r["outcome"] is not None for r in rows["requests"]) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"expected {count} finished rows")


def _sample(rule):
    """A concrete path for a URL rule (its variables filled with plausible values)."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "1" if m.group(1) in ("turn", "n") else "x", rule.rule)


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/static", "/login", "/logout")) or rule.rule == "/api/v1/health":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, _sample(rule)


def _refused(response, path):
    if path.startswith("/api/") or path == "/metrics":
        return response.status_code == 401 and response.get_json()["ok"] is False
    return response.status_code == 303 and response.headers["Location"].startswith("/login?next=")


def test_every_flask_route_refuses_without_the_token_and_accepts_it(store, people):
    path, issued = people
    app = create_app(config.load({}), store, Bus(), upstream=None, tokens=tokens_file.Tokens(path))
    client = app.test_client()
    routes = list(_routes(app))
    assert len(routes) > 20 and ("GET", "/metrics") in routes and ("GET", "/api/v1/events") in routes
    for method, url in routes:
        for headers in ({}, {"X-Relay-Token": WRONG}, {"Authorization": f"Bearer {WRONG}"},
                        {"X-Relay-Token": issued["alice"] + "x"}):
            response = client.open(url, method=method, headers=headers)
            assert _refused(response, url), (method, url, headers, response.status_code)
            response.close()
        for headers in ({"X-Relay-Token": issued["alice"]}, {"Authorization": f"Bearer {issued['bob']}"}):
            response = client.open(url, method=method, headers=headers,
                                   query_string={"heartbeat": "1"} if url.endswith("/events") else None)
            assert response.status_code not in (401, 303), (method, url, response.status_code)
            response.close()
    # The health probe says only that relay answers, so `relay doctor` and load balancers see it.
    assert client.get("/api/v1/health").get_json() == {"ok": True, "auth_required": True}
    assert "version" in client.get("/api/v1/health", headers={"X-Relay-Token": issued["bob"]}).get_json()


def test_without_tokens_nothing_asks_to_sign_in(client):
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/login").status_code == 404


def test_browser_signs_in_with_a_cookie_and_out_again(auth_relay, people):
    _, issued = people
    browser = requests.Session()
    first = browser.get(auth_relay.url + "/dashboard/", allow_redirects=False, timeout=10)
    assert first.status_code == 303 and first.headers["Location"] == "/login?next=/dashboard/"
    form = browser.get(auth_relay.url + first.headers["Location"], timeout=10)
    assert form.status_code == 200 and 'name="token"' in form.text and 'value="/dashboard/"' in form.text
    wrong = browser.post(auth_relay.url + "/login", data={"token": WRONG, "next": "/dashboard/"}, timeout=10)
    assert wrong.status_code == 401 and WRONG not in wrong.text and not browser.cookies
    signed = browser.post(auth_relay.url + "/login", data={"token": issued["alice"], "next": "/dashboard/"},
                          allow_redirects=False, timeout=10)
    assert signed.status_code == 303 and signed.headers["Location"] == "/dashboard/"
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    session_id = browser.cookies["relay_session"]
    assert issued["alice"] not in cookie and len(session_id) >= 40
    page = browser.get(auth_relay.url + "/dashboard/", timeout=10)
    assert page.status_code == 200 and "alice" in page.text
    assert browser.get(auth_relay.url + "/api/v1/requests", timeout=10).status_code == 200
    with browser.get(auth_relay.url + "/api/v1/events", params={"heartbeat": 1}, stream=True, timeout=10) as sse:
        assert sse.status_code == 200 and sse.headers["Content-Type"].startswith("text/event-stream")
    # An open redirect is refused: only paths on relay itself.
    elsewhere = requests.post(auth_relay.url + "/login", data={"token": issued["bob"], "next": "//evil.example/"},
                              allow_redirects=False, timeout=10)
    assert elsewhere.headers["Location"] == "/"
    # A forged cookie is nobody.
    forged = requests.get(auth_relay.url + "/api/v1/requests", cookies={"relay_session": "x" * 43}, timeout=10)
    assert forged.status_code == 401
    out = browser.post(auth_relay.url + "/logout", allow_redirects=False, timeout=10)
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    again = requests.get(auth_relay.url + "/api/v1/requests", cookies={"relay_session": session_id}, timeout=10)
    assert again.status_code == 401


def test_revoking_a_token_ends_its_sign_ins_without_a_restart(auth_relay, people):
    path, issued = people
    browser = requests.Session()
    browser.post(auth_relay.url + "/login", data={"token": issued["bob"]}, timeout=10)
    assert browser.get(auth_relay.url + "/api/v1/requests", timeout=10).status_code == 200
    tokens_file.revoke(path, "bob")
    assert browser.get(auth_relay.url + "/api/v1/requests", timeout=10).status_code == 401
    assert requests.post(auth_relay.url + "/v1/messages", data=messages_body(stream=False), timeout=10,
                         headers={"X-Relay-Token": issued["bob"]}).status_code == 401
    assert requests.get(auth_relay.url + "/api/v1/requests", headers={"X-Relay-Token": issued["alice"]},
                        timeout=10).status_code == 200


def test_every_proxy_mount_refuses_without_the_token_in_its_own_error_shape(auth_relay, upstream):
    assert {route.prefix for route in ROUTES} == set(PROXY_CALLS)
    for prefix, (path, body) in PROXY_CALLS.items():
        for headers in ({}, {"X-Relay-Token": WRONG}):
            answer = requests.post(auth_relay.url + path, data=body, timeout=10,
                                   headers={"Content-Type": "application/json", **headers})
            assert answer.status_code == 401, (prefix, headers)
            error = answer.json()["error"]
            if prefix == "/v1":
                assert answer.json()["type"] == "error" and error["type"] == "authentication_error"
            elif prefix in ("/gemini", "/v1internal"):
                assert error["status"] == "UNAUTHENTICATED" and error["code"] == 401
            else:
                assert error["type"] == "invalid_request_error"
            assert "X-Relay-Token" in error["message"] or "not valid" in error["message"]
    assert upstream.requests == []   # nothing refused went upstream


def test_the_token_is_not_forwarded_and_each_exchange_names_its_person(auth_relay, upstream, people):
    _, issued = people
    sent = {"alice": ["/v1", "/openai"], "bob": ["/gemini", "/backend-api", "/v1internal"]}
    for person, prefixes in sent.items():
        for prefix in prefixes:
            path, body = PROXY_CALLS[prefix]
            answer = requests.post(auth_relay.url + path, data=body, timeout=10,
                                   headers={"Content-Type": "application/json", "X-Relay-Token": issued[person],
                                            "Authorization": "Bearer upstream-key-of-" + person})
            assert answer.status_code == 200, (prefix, answer.text[:200])
    assert len(upstream.requests) == 5
    for seen in upstream.requests:
        assert "x-relay-token" not in {name.lower() for name in seen["headers"]}
        assert seen["headers"]["authorization"].startswith("Bearer upstream-key-of-")   # the user's own, untouched
        assert not any(t in json.dumps(dict(seen["headers"])) for t in issued.values())
    _wait_finished(auth_relay, issued["alice"], 5)
    db = Store(paths.db_path())
    try:
        rows = db.read(lambda c: c.execute("SELECT path, os_user FROM exchanges").fetchall())
    finally:
        db.close()
    by_person = {}
    for path, person in rows:
        by_person.setdefault(person, set()).add(path)
    assert by_person == {"alice": {"/v1/messages", "/v1/responses"},
                         "bob": {"/v1beta/models/gemini-2.5-flash:generateContent", "/backend-api/codex/responses",
                                 "/v1internal:generateContent"}}, by_person


def test_no_token_reaches_the_database_or_the_logs(auth_relay, upstream, people):
    _, issued = people
    requests.post(auth_relay.url + "/v1/messages", data=messages_body(), timeout=10,
                  headers={"X-Relay-Token": issued["alice"], "Content-Type": "application/json"})
    requests.post(auth_relay.url + "/v1/messages", data=messages_body(), timeout=10, headers={"X-Relay-Token": WRONG})
    requests.post(auth_relay.url + "/login", data={"token": WRONG}, timeout=10)
    requests.post(auth_relay.url + "/login", data={"token": issued["bob"]}, timeout=10)
    requests.get(auth_relay.url + "/api/v1/requests", headers={"Authorization": "Bearer " + WRONG}, timeout=10)
    _wait_finished(auth_relay, issued["alice"], 1)
    auth_relay.stop()
    logs = "".join(auth_relay.stderr_lines)
    assert "listening" in logs
    stored = b"".join(p.read_bytes() for p in paths.data_dir().rglob("*") if p.is_file())
    for secret in (*issued.values(), WRONG):
        assert secret not in logs and secret.encode() not in stored
