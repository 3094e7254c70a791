"""Issue 18's pages: server-drawn charts whose marks match their JSON twins, the whole conversation
of a turn (escaped, long parts folded), SNR and duplicate reads on a live card, relative times and
HTML error pages for a browser."""
import json
import time

import pytest
import requests
from playwright.sync_api import expect

from relay.costs import cost as cost_service
from relay.costs import prices
from relay.present import charts
from relay.present import format as fmt
from relay.sessions.composition import estimate_tokens
from tests import chart_data
from tests.proxy.conftest import messages_body, wait_rows
from tests.web.test_browser import browser, open_live, page  # noqa: F401  (fixtures)

LONG_MESSAGE = "begin" + "".join(f"{i:04d}abcdef " for i in range(272)) + "end"
HOSTILE = '</pre><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
TOOL_OUTPUT = HOSTILE + "\n" + "".join(f"line {i} of app.py\n" for i in range(60))
PATH = "src/app.py"


def send_conversation(relay, session):
    """One captured turn: a 3,000-character message, the same file read twice (a duplicate read)
    whose output carries a hostile payload, and a final question."""
    assert len(LONG_MESSAGE) == 3000
    read = {"file_path": PATH}
    messages = [{"role": "user", "content": LONG_MESSAGE},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Read", "input": read}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": TOOL_OUTPUT}]},
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "read it again", "signature": "s"},
                                                  {"type": "tool_use", "id": "t2", "name": "Read", "input": read}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t2", "content": [
                    {"type": "text", "text": TOOL_OUTPUT},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]},
                    {"type": "text", "text": "what does it do?"}]}]
    body = {"model": "claude-opus-5-5", "max_tokens": 64, "stream": True, "system": "You are terse.",
            "tools": [{"name": "Read", "input_schema": {"type": "object"}}], "messages": messages}
    r = requests.post(relay.url + "/v1/messages", data=json.dumps(body), timeout=10,
                      headers={"content-type": "application/json", "x-claude-code-session-id": session})
    assert r.status_code == 200
    wait_rows(relay.url, 1, session_id=session)
    deadline = time.time() + 10
    while requests.get(f"{relay.url}/api/v1/history/{session}", timeout=5).status_code != 200:
        assert time.time() < deadline, "the turn was not captured"
        time.sleep(0.05)


# --- formats ---------------------------------------------------------------------------------------

def test_relative_times_and_thousands():
    now = 1_800_000_000
    assert fmt.relative(now + 2 * 86400 + 4 * 3600 + 60, now) == "in 2 d 4 h"
    assert fmt.relative(now - 300, now) == "5 min ago"
    assert fmt.relative(now, now) == "now"
    assert fmt.thousands(1234567) == "1,234,567" and fmt.thousands(None) == "—"
    assert fmt.compact_number(1_250_000) == "1.2M" and fmt.compact_number(950) == "950"


# --- charts on plain data -------------------------------------------------------------------------

@pytest.fixture
def planted(store):
    now = time.time()
    chart_data.plant(store, now)
    return now


def test_chart_series_come_from_sql_and_match_the_cost_report(store, planted):
    now = planted
    data = store.read(lambda c: charts.gather(c, now))
    daily = data["cost_daily"]
    assert len(daily["x"]) == 30 and [s["name"] for s in daily["series"]] == list(chart_data.MODELS)
    # the same dollars relay cost reports for the same rows (priced row by row in Python there)
    report = cost_service.report(store, prices.load(), since=daily["x"][0], by="model", files=False)
    for s in daily["series"]:
        row = next(r for r in report["rows"] if r["key"] == s["name"])
        assert sum(s["values"]) == pytest.approx(row["cost"], rel=1e-9)
    hourly = data["cost_hourly"]
    assert len(hourly["x"]) == 48 and sum(v > 0 for s in hourly["series"] for v in s["values"]) == 4
    tokens = {s["name"]: s["values"] for s in data["tokens"]["series"]}
    assert sum(tokens["cache_read"]) == 2000 * (3 + 2 + 5 + 4)
    rates = {s["name"]: s["values"] for s in data["rates"]["series"]}

    def slot(hours_ago):
        return int((now - hours_ago * 3600 - hourly["x"][0]) // 3600)
    assert rates["error_pct"][slot(3.5)] == 100.0 and rates["error_pct"][slot(0.5)] == 0.0
    assert rates["cache_hit_pct"][slot(0.5)] == pytest.approx(100 * 6000 / (6000 + 1500 + 300), abs=0.1)
    windows = {w["name"]: w for w in data["quota"]["windows"]}
    assert set(windows) == {"5h", "7d"}
    assert [p[1] for p in windows["5h"]["points"]][-1] == 42.0
    assert windows["7d"]["projection"]["pct"] > 16.0 and windows["7d"]["next_reset"] > now


def test_quota_chart_reads_any_window_list_of_the_report():
    """A family the chart has no header table for (a further CLI's buckets) still gets its
    current value, its reset marker and a projection."""
    now = 1_800_000_000
    report = {"anthropic": None, "codex": None, "gemini": {"windows": [
        {"name": "requests-per-day", "utilization_pct": 30.0, "measured_ts": now - 3600, "reset_ts": now + 7200}]}}
    windows = charts.series.quota(None, report, now)
    assert [(w["family"], w["name"], w["points"]) for w in windows] == [
        ("gemini", "requests-per-day", [[now - 3600, 30.0]])]
    geo = charts.geometry({**windows[0], "type": "quota_window"})
    assert [m["class"] for m in geo["markers"]] == ["next-reset", "now"] and geo["projection"] is not None


def test_geometry_has_one_mark_per_value():
    chart = {"type": "bars", "unit": "usd", "step": 3600, "x": [0, 3600, 7200],
             "series": [{"name": "a", "values": [1.0, 0.0, 2.0]}, {"name": "b", "values": [0.5, 0.0, 0.0]}]}
    geo = charts.geometry(chart)
    assert [(r["series"], r["slot"], r["value"]) for r in geo["rects"]] == [("a", 0, 1.0), ("b", 0, 0.5), ("a", 2, 2.0)]
    top = geo["rects"][1]                       # b stacks on a
    assert top["y"] + top["h"] == pytest.approx(geo["rects"][0]["y"], abs=0.01)


# --- a real relay, in Chromium ---------------------------------------------------------------------

@pytest.fixture
def chart_relay(upstream, store):
    from tests.relay_process import RelayProcess
    chart_data.plant(store, time.time())
    store.close()
    process = RelayProcess(upstream.url, "--history").start()
    yield process
    process.stop()


def marks(page, chart_id):
    """(series, slot, value) of every mark of a chart, as the SVG carries them."""
    return [(m.get_attribute("data-series"), m.get_attribute("data-slot"), float(m.get_attribute("data-v")))
            for m in page.locator(f"#chart-{chart_id} .mark").all()]


def expected_marks(chart):
    return sorted((s["name"], str(i), v) for s in chart["series"] for i, v in enumerate(s["values"])
                  if v is not None and (chart["type"] == "lines" or v > 0))


def test_each_chart_draws_the_marks_of_its_json_twin_and_updates_live(page, chart_relay):  # noqa: F811
    data = requests.get(chart_relay.url + "/api/v1/charts", timeout=10).json()["charts"]
    assert requests.get(chart_relay.url + "/api/v1/dashboard", timeout=10).json()["dashboard"]["charts"]["tokens"] \
        == data["tokens"]
    open_live(page, chart_relay.url + "/dashboard/")
    for key in ("cost_hourly", "cost_daily", "tokens", "rates"):
        got = sorted(marks(page, key))
        assert got == pytest.approx(expected_marks(data[key])), key
        assert got, key
    for window in data["quota"]["windows"]:
        chart_id = f"quota-anthropic-{window['name']}"
        values = [v for _, _, v in marks(page, chart_id)]
        assert values == [p[1] for p in window["points"]], chart_id
        projection = page.locator(f"#chart-{chart_id} line.projection")
        assert float(projection.get_attribute("data-v")) == window["projection"]["pct"]
        assert page.locator(f"#chart-{chart_id} line.next-reset").count() == 1
        assert page.locator(f"#chart-{chart_id} .note time").get_attribute("title").endswith("local")
        assert page.inner_text(f"#chart-{chart_id} .note time").startswith("in ")
    assert page.locator("#quota time").first.inner_text().startswith("in ")   # resets read "in 2 h 10 min"
    assert page.locator("#quota time").first.get_attribute("title").endswith("local")
    before = len(marks(page, "tokens"))
    requests.post(chart_relay.url + "/v1/messages", data=messages_body(), timeout=10,
                  headers={"content-type": "application/json"})
    expect(page.locator("#chart-tokens .mark")).not_to_have_count(before, timeout=3000)
    assert page.problems == []


def test_turn_page_shows_the_whole_conversation_inert(page, history_relay):  # noqa: F811
    send_conversation(history_relay, "sess-full")
    page.goto(history_relay.url + "/history/sess-full/0")
    texts = page.locator("#message-0 .block-text .text")
    assert texts.inner_text() == LONG_MESSAGE                           # in full, not a preview
    result = page.locator("#message-2 .block-tool_result")
    assert result.locator("details").count() == 1                      # long output folded
    result.locator("summary").click()
    assert result.locator("pre.content").inner_text() == TOOL_OUTPUT
    assert page.locator("#message-4 .placeholder").inner_text() == "[image image/png · 4 B]"
    assert "read it again" in page.inner_text("#message-3 .thinking")
    assert '"file_path": "src/app.py"' in page.inner_text("#message-1 pre.content")
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None and page.problems == []
    api = requests.get(f"{history_relay.url}/api/v1/history/sess-full/turns/0", timeout=5).json()["turn"]
    assert api["messages"][0]["blocks"][0]["text"] == LONG_MESSAGE and api["system"][0]["text"] == "You are terse."
    assert api["messages"][2]["blocks"][0]["text"] == TOOL_OUTPUT and api["tools"] == ["Read"]
    session = page.goto(history_relay.url + "/history/sess-full/")          # a trailing slash works
    assert session.status == 200 and page.url.endswith("/history/sess-full")
    assert page.locator("#chart-context rect.mark").count() > 0 and page.locator("td.cost").count() == 1


def test_card_shows_snr_duplicate_reads_and_cache_hit(page, history_relay):  # noqa: F811
    send_conversation(history_relay, "sess-dup")
    page.goto(history_relay.url + "/display/")
    card = page.locator("#card-sess-dup")
    row = card.locator("table.duplicates tbody tr")
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert cells == [PATH, "2", f"{estimate_tokens(len(TOOL_OUTPUT)):,}"]
    assert card.locator(".dup-count").inner_text() == "1"
    snr = float(card.locator(".snr").inner_text())
    assert 0.3 < snr < 0.8          # the long message is signal; two copies of the tool output are not
    assert card.locator(".cache-hit").inner_text().endswith("%")
    assert card.locator("ul.legend li").count() >= 3                   # the pie has its legend
    api = requests.get(history_relay.url + "/api/v1/display", timeout=5).json()["display"]["sessions"]
    shown = next(s for s in api if s["session_id"] == "sess-dup")
    assert shown["duplicate_reads"]["files"][0] == {"path": PATH, "reads": 2, "duplicates": 1,
                                                    "tokens": estimate_tokens(len(TOOL_OUTPUT))}
    assert shown["snr"] == snr


def test_missing_pages_answer_a_browser_in_html_and_a_program_in_json(page, relay):  # noqa: F811
    response = page.goto(relay.url + "/history/nope/")
    assert response.status == 404 and "text/html" in response.headers["content-type"]
    assert page.locator("h1").inner_text() == "Error 404" and "nope" in page.inner_text(".error-message")
    assert page.locator("nav a").count() == 4
    for path in ("/history/nope", "/api/v1/history/nope/replay", "/no-such-page"):
        r = requests.get(relay.url + path, timeout=5, headers={"Accept": "application/json"})
        assert r.status_code == 404 and r.json()["ok"] is False, path
    api = requests.get(relay.url + "/api/v1/history/nope/replay", timeout=5, headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["ok"] is False        # the API answers JSON to anyone
