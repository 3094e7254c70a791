"""Safe pages: CSP without inline script, Origin checked on POST, everything from sessions and
requests escaped on every page and in the SSE fragments."""
import json
import re

import pytest
import requests

from tests.proxy.conftest import messages_body, wait_rows

PAGES = ["/", "/dashboard/", "/display/", "/history/"]
HOSTILE_PROMPT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
HOSTILE_SESSION = 'sess"><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("path", PAGES + ["/api/v1/health", "/api/v1/display"])
def test_csp_forbids_inline_script_everywhere(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    script = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'self'" in script and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script(client, path):
    html = client.get(path).get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="' in tag
    assert not re.search(r"\son[a-z]+=", html)   # no inline event handlers either


def test_post_from_another_origin_is_refused(client):
    # /session-terminal takes POST: a refused origin gets 403, an accepted one reaches the view,
    # which answers 400 for this empty body (a GET-only route would answer 405 either way).
    own = {"Host": "127.0.0.1:8083"}

    def post(origin=None):
        headers = {**own, **({"Origin": origin} if origin else {})}
        return client.post("/api/v1/session-terminal", json={}, headers=headers).status_code

    evil = client.post("/api/v1/session-terminal", json={}, headers={**own, "Origin": "http://evil.example"})
    assert evil.status_code == 403 and "origin" in evil.get_json()["error"]
    assert post("null") == 403
    # another local server's page is another origin: port and scheme count
    assert post("http://127.0.0.1:3000") == 403
    assert post("http://localhost") == 403
    assert post("https://127.0.0.1:8083") == 403
    # the same origin, and clients that send no Origin at all (curl, the CLI), get past the check
    assert post("http://127.0.0.1:8083") == 400
    assert post("http://localhost:8083") == 400
    assert post() == 400
    # reads are governed by the Host check alone
    assert client.get("/api/v1/health", headers={"Origin": "http://evil.example"}).status_code == 200


def test_rebinding_host_is_refused_on_pages(client):
    assert client.get("/dashboard/", headers={"Host": "attacker.example"}).status_code == 403


def _post_hostile(relay):
    body = json.loads(messages_body(stream=True))
    body["messages"][0]["content"] = HOSTILE_PROMPT
    r = requests.post(relay.url + "/v1/messages", data=json.dumps(body), timeout=10,
                      headers={"content-type": "application/json", "x-claude-code-session-id": HOSTILE_SESSION})
    assert r.status_code == 200


def test_hostile_session_text_is_escaped_on_every_page(history_relay):
    _post_hostile(history_relay)
    wait_rows(history_relay.url, 1)
    quoted = requests.utils.quote(HOSTILE_SESSION, safe="")
    for path in PAGES + [f"/history/{quoted}"]:
        html = requests.get(history_relay.url + path, timeout=10).text
        assert "<img src=x" not in html and "window.__pwned = 1</script>" not in html, path
        assert "<script>window" not in html, path
    display = requests.get(history_relay.url + "/display/", timeout=10).text
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in display   # shown, as text
    assert 'id="card-sess&#34;&gt;&lt;img' in display


def test_sse_fragments_are_escaped(history_relay):
    with requests.get(history_relay.url + "/api/v1/events?page=display&heartbeat=0.2", stream=True,
                      timeout=10) as stream:
        _post_hostile(history_relay)
        seen = ""
        for line in stream.iter_lines(chunk_size=None, decode_unicode=True):
            if line.startswith("data: "):
                seen += "".join(f["html"] for f in json.loads(line[6:])["fragments"])
                if "pwned" in seen:
                    break
    assert "&lt;script&gt;window.__pwned" in seen and "<script>" not in seen and "<img" not in seen
