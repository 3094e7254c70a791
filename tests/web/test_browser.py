"""Headless Chromium (Debian's, driven by Playwright) against a real `relay serve`: pages update
without reload from SSE, hostile session text stays inert, Korean follows Accept-Language."""
import json

import pytest
import requests
from playwright.sync_api import expect

from tests.proxy.conftest import messages_body, wait_rows
from tests.web.test_safe_pages import HOSTILE_PROMPT, HOSTILE_SESSION

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
LIVE_WITHIN_MS = 1000


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright
    # Eval-based helpers (wait_for_function with a string) are refused by relay's CSP: that is
    # the policy working, so these tests wait with locators instead.
    home = tmp_path_factory.mktemp("chromium-home")   # the real HOME is never touched
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, env={"HOME": str(home)})
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("dialog", lambda d: (page.problems.append("dialog: " + d.message), d.dismiss()))
    yield page
    context.close()


def post(relay, session="sess-live", content="say hi"):
    body = json.loads(messages_body())
    body["messages"][0]["content"] = content
    r = requests.post(relay.url + "/v1/messages", data=json.dumps(body), timeout=10,
                      headers={"content-type": "application/json", "x-claude-code-session-id": session})
    assert r.status_code == 200


def open_live(page, url):
    """Open a live page and wait until its EventSource is connected (the badge says so)."""
    page.goto(url)
    status = page.locator("#live-status")
    expect(status).to_have_text(status.get_attribute("data-on"), timeout=5000)


@pytest.mark.parametrize("path", ["/", "/dashboard/", "/display/", "/history/"])
def test_each_page_loads_without_errors(page, relay, path):
    response = page.goto(relay.url + path)
    assert response.status == 200
    assert page.locator("nav a").count() == 4
    page.wait_for_load_state("load")
    assert page.problems == []


def test_dashboard_shows_a_new_request_and_updated_numbers_without_reload(page, relay):
    open_live(page, relay.url + "/dashboard/")
    assert page.inner_text("#requests-today") == "0"
    page.evaluate("window.__same_document = true")
    post(relay)
    page.wait_for_selector("#requests-rows tr.outcome-ok", timeout=LIVE_WITHIN_MS)
    expect(page.locator("#requests-today")).to_have_text("1", timeout=LIVE_WITHIN_MS)
    assert page.locator("#requests-empty").count() == 0
    assert "claude-opus-5-5" in page.inner_text("#requests-rows")
    assert "sess-live" in page.inner_text("#turn-monitor")
    post(relay)
    expect(page.locator("#requests-rows tr.outcome-ok")).to_have_count(2, timeout=LIVE_WITHIN_MS)
    assert page.evaluate("window.__same_document") is True   # updated in place, never reloaded
    assert page.problems == []


def test_dashboard_guard_section_shows_an_alert_without_reload(page, relay):
    open_live(page, relay.url + "/dashboard/")
    assert page.locator("#guard li[id^=guard-alert-]").count() == 0
    page.evaluate("window.__same_document = true")
    r = requests.post(relay.url + "/v1/messages", data=messages_body(), timeout=10,
                      headers={"content-type": "application/json", "x-fake-utilization": "5h=0.93,7d=0.1"})
    assert r.status_code == 200
    expect(page.locator("#guard-alert-1")).to_contain_text("93.0%", timeout=LIVE_WITHIN_MS)
    assert "critical" in page.inner_text("#guard")
    assert page.evaluate("window.__same_document") is True
    assert page.problems == []


def test_display_card_appears_and_counts_turns_live(page, relay):
    open_live(page, relay.url + "/display/")
    post(relay, session="sess-card")
    page.wait_for_selector("#card-sess-card", timeout=LIVE_WITHIN_MS)
    assert page.inner_text("#card-sess-card .turns") == "1"
    post(relay, session="sess-card")
    expect(page.locator("#card-sess-card .turns")).to_have_text("2", timeout=LIVE_WITHIN_MS)
    assert page.problems == []


def test_hostile_session_text_renders_inert(page, history_relay):
    open_live(page, history_relay.url + "/display/")
    post(history_relay, session=HOSTILE_SESSION, content=HOSTILE_PROMPT)   # arrives as an SSE fragment
    page.wait_for_selector("#cards article.card", timeout=LIVE_WITHIN_MS)
    assert page.inner_text("#cards q.prompt") == HOSTILE_PROMPT   # shown as text
    assert page.locator("#cards img").count() == 0 and page.locator("main script").count() == 0
    quoted = requests.utils.quote(HOSTILE_SESSION, safe="")
    for path in ["/display/", "/dashboard/", "/history/", f"/history/{quoted}"]:
        page.goto(history_relay.url + path)
        page.wait_for_load_state("load")
        assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0, path
    page.wait_for_timeout(200)   # give any onerror handler its chance to run
    assert page.evaluate("window.__pwned") is None
    assert not [p for p in page.problems if "dialog" in p]


def test_korean_with_accept_language(browser, relay):
    context = browser.new_context(locale="ko-KR", extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    page = context.new_page()
    try:
        open_live(page, relay.url + "/dashboard/")
        assert page.inner_text("h1") == "대시보드"
        assert page.get_attribute("html", "lang") == "ko"
        assert page.inner_text("#live-status") == "실시간"
        post(relay)
        page.wait_for_selector("#requests-rows tr.outcome-ok", timeout=LIVE_WITHIN_MS)
        assert "오늘 요청 수" in page.inner_text("#summary")   # the live fragment is Korean too
    finally:
        context.close()


def test_pages_are_readable_without_javascript(browser, relay):
    post(relay, session="sess-nojs")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(relay.url + "/dashboard/")
        expect(page.locator("#requests-rows tr.outcome-ok")).to_have_count(1)
        assert page.inner_text("#requests-today") == "1"
        page.goto(relay.url + "/display/")
        expect(page.locator("#card-sess-nojs .turns")).to_have_text("1")
    finally:
        context.close()


def test_team_section_filters_to_one_person_from_its_form(page, relay):
    post(relay, session="team-browser")
    wait_rows(relay.url, 1)   # finished and written before the page reads it
    page.goto(relay.url + "/dashboard/?since=24h")
    people = page.locator("#team-people tbody tr")
    expect(people).to_have_count(1, timeout=5000)
    me = people.first.locator("td").first.inner_text()
    page.select_option("#team select[name=user]", me)
    page.locator("#team button[type=submit]").click()
    page.wait_for_url("**/dashboard/?since=24h&user=*")
    expect(page.locator("#team select[name=user]")).to_have_value(me)
    expect(page.locator("#team-people tbody tr")).to_have_count(1)
    expect(page.locator("#team-walls")).to_contain_text("No quota window measured")
    assert page.problems == []
