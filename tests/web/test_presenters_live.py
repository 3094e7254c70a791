"""The live pages' presenters on plain data: pie slices, session cards from each source, the
dashboard summary and the "not available" sections."""
from relay.present import costs as costs_view
from relay.present import dashboard as dashboard_view
from relay.present import history as history_view
from relay.present import live as live_view


def test_pie_slices_cover_the_circle():
    slices = history_view.pie({"user_text": 10, "tool_result": 60, "system": 30, "tool_use": 0})
    assert [s["part"] for s in slices] == ["user_text", "tool_result", "system"]   # zero parts are left out
    assert round(sum(s["percent"] for s in slices), 1) == 100.0
    big = next(s for s in slices if s["part"] == "tool_result")
    assert " 1,1 " in big["path"]                                                  # the large-arc flag past half
    assert " 0,1 " in next(s for s in slices if s["part"] == "user_text")["path"]
    whole = history_view.pie({"assistant_text": 100})
    assert whole == [{"part": "assistant_text", "percent": 100.0, "path": None}]   # drawn as a circle
    assert history_view.pie({}) == []


def test_card_of_a_proxied_session():
    row = {"session_id": "s1", "requests": 3, "last_seen": 100.0, "models": ["claude-opus-5-5"]}
    last = {"provider": "anthropic", "input_tokens": 1000, "cache_read_input_tokens": 40000,
            "cache_creation_input_tokens": 9000}
    card = live_view.live_session(row, last, {"percent": {"user_text": 50, "assistant_text": 50}}, None)
    assert card["turns"] == 3 and card["counted_from"] == "proxy" and card["via_proxy"] and not card["alive"]
    assert card["context_tokens"] == 50000 and card["context_pct"] == 25.0
    assert len(card["composition"]["slices"]) == 2 and card["last_prompt"] is None


def test_card_of_a_running_cli_relay_never_proxied_uses_the_index():
    alive = {"cli": "codex", "pid": 42, "cwd": "/w", "session_id": "c1", "connection": ["ssh", "tmux"],
             "started_at": 50.0, "terminal": None}
    row = {"session_id": "c1", "requests": None, "last_seen": 50.0, "models": []}
    indexed = {"turns": 7, "composition": {"percent": {"tool_result": 70, "user_text": 30}}}
    card = live_view.live_session(row, None, None, None, alive, indexed)
    assert card["alive"] and card["provider"] == "openai" and card["connection"] == ["ssh", "tmux"]
    assert card["turns"] == 7 and card["counted_from"] == "scan" and not card["via_proxy"]
    assert card["context_pct"] is None and card["composition"]["percent"]["tool_result"] == 70
    unknown = live_view.live_session(row, None, None, None, alive, None)
    assert unknown["turns"] is None and unknown["counted_from"] is None and unknown["composition"] is None


def test_last_prompt_skips_reminders_and_keeps_the_typed_text():
    import json
    body = json.dumps({"messages": [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": "<system-reminder>noise</system-reminder>"},
                                     {"type": "text", "text": "second <b>"}]}]})
    card = live_view.live_session({"session_id": "s", "requests": 1, "last_seen": 1.0, "models": []}, None, None, body)
    assert card["last_prompt"] == "second <b>"   # raw: the template escapes it


def test_summary_rates_and_optional_sections():
    counts = {"requests_today": 10, "in_flight": 1}
    cost = {"total": {"cost": 0.1234567}, "rows": [{"key": "m", "cost": 0.1234567, "requests": 9}], "unpriced": []}
    errors = {"1h": {"requests": 8, "counts": {"2xx": 6, "4xx": 1, "429": 1, "5xx": 0, "other": 0}}}
    cache = {"global": {"hit_rate": 0.8123}}
    s = costs_view.summary_of(counts, cost, errors, cache)
    assert s["error_rate_pct"] == 25.0 and s["cache_hit_pct"] == 81.2 and s["cost_today"] == 0.123457
    empty = costs_view.summary_of(counts, cost, {"1h": {"requests": 0, "counts": {}}}, {"global": {"hit_rate": None}})
    assert empty["error_rate_pct"] is None and empty["cache_hit_pct"] is None
    assert dashboard_view.section(None) == {"available": False}
    assert dashboard_view.section({"clis": [], "installed": []}) == {"available": True, "clis": [], "installed": []}
