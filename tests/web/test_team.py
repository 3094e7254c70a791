"""The team view: the dashboard's team section, its JSON twin /api/v1/team and `relay users --user`,
over rows written by three people on two machines, on SQLite and on PostgreSQL (backend_store).
Dollars are the ones `relay users` prices (relay.costs.team), checked against it, not re-derived."""
import time

import pytest

from relay import config
from relay.bus import Bus
from relay.costs import prices, team
from relay.models import Exchange, Usage
from relay.store import writes
from relay.store.writes import record_exchange_finish
from relay.web.app import create_app

U = "anthropic-ratelimit-unified-"
HOSTILE = '<img src=x onerror="alert(1)">'
# (machine, user, cli, model, 5h utilization or None)
ROWS = (("box-a", "ann", "claude", "claude-sonnet-4-5", "0.42"), ("box-a", "ann", "codex", "gpt-5", None),
        ("box-b", "bo", "claude", "claude-opus-4-6", "0.91"), ("box-b", HOSTILE, "claude", "claude-haiku-4-5", None))


def _fill(store, monkeypatch, now):
    for n in range(24):
        machine, user, cli, model, used = ROWS[n % len(ROWS)]
        monkeypatch.setattr(writes, "ORIGIN", (machine, user))
        headers = {} if used is None else {f"{U}5h-utilization": used, f"{U}5h-reset": str(int(now) + 3600),
                                           f"{U}7d-utilization": "0.10", f"{U}7d-reset": str(int(now) + 86400)}
        ex = Exchange(id=f"t{n}", ts=now - 600 + n, provider="anthropic", method="POST", path="/v1/messages",
                      model=model, cli=cli, session_id=f"s{n % 3}", message_id=f"m{n}", status=200, outcome="ok",
                      ratelimit=headers, usage=Usage(input_tokens=1000 * (n + 1), output_tokens=200))
        store.submit(record_exchange_finish(ex))
    # an old measurement whose window has reset since: it must not count as a wall now
    monkeypatch.setattr(writes, "ORIGIN", ("box-a", "ann"))
    store.submit(record_exchange_finish(Exchange(
        id="old", ts=now - 7200, provider="anthropic", method="POST", path="/v1/messages", model="claude-sonnet-4-5",
        cli="claude", status=200, outcome="ok", ratelimit={f"{U}5h-utilization": "0.99", f"{U}5h-reset": str(now - 60)},
        usage=Usage(input_tokens=1, output_tokens=1))))
    store.flush()


@pytest.fixture
def filled(backend_store, monkeypatch):
    now = time.time()
    _fill(backend_store.start(), monkeypatch, now)
    return backend_store


@pytest.fixture
def client(filled):
    return create_app(config.load({}), filled, Bus(), upstream=None).test_client()


def _team(client, **args):
    response = client.get("/api/v1/team", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["team"]


def test_team_json_splits_spend_per_person_cli_and_model_and_finds_the_wall(client, filled):
    body = _team(client, since="24h")
    spend = team.spend_by_user(filled, prices.load(), time.time() - 86400)
    assert [p["person"] for p in body["people"]] == [f"{p['user']}@{p['machine']}" for p in spend["users"]]
    assert body["total"]["cost"] == pytest.approx(spend["total"]["cost"]) and body["total"]["requests"] == 25
    assert body["choices"] == sorted(["ann@box-a", "bo@box-b", f"{HOSTILE}@box-b"])
    by_cli = {r["cli"]: r for r in body["by_cli"]}
    assert set(by_cli) == {"claude", "codex"} and by_cli["codex"]["requests"] == 6
    assert sum(r["requests"] for r in body["by_model"]) == 25
    assert {r["model"] for r in body["by_model"]} == {"claude-sonnet-4-5", "gpt-5", "claude-opus-4-6",
                                                     "claude-haiku-4-5"}
    # bo's 91 % 5h is the nearest wall; ann's 99 % reading is from a window that has reset since
    walls = body["quota_walls"]
    assert [(w["person"], w["cli"], w["name"], w["used_pct"]) for w in walls] == [
        ("bo@box-b", "claude", "5h", 91.0), ("ann@box-a", "claude", "5h", 42.0)]
    ann = next(p for p in body["people"] if p["person"] == "ann@box-a")
    assert [w["name"] for w in ann["windows"]] == ["5h", "7d"] and ann["closest"]["reset"].endswith("Z")


def test_one_person_by_user_or_user_at_machine(client, filled):
    for who in ("bo", "bo@box-b"):
        body = _team(client, since="7d", user=who)
        assert [p["person"] for p in body["people"]] == ["bo@box-b"] and body["person"] == who
        assert [r["model"] for r in body["by_model"]] == ["claude-opus-4-6"]
        assert [w["person"] for w in body["quota_walls"]] == ["bo@box-b"]
        assert len(body["choices"]) == 3   # the filter still offers everyone
    assert _team(client, user="bo@box-a")["people"] == []


@pytest.mark.parametrize("args, message", [({"since": "yesterdayish"}, "neither a duration nor a date")])
def test_a_bad_period_is_a_400_on_the_api_and_the_page(client, args, message):
    api = client.get("/api/v1/team", query_string=args)
    assert api.status_code == 400 and message in api.get_json()["error"]
    assert client.get("/dashboard/", query_string=args).status_code == 400


def test_dashboard_team_section_escapes_names_and_filters(client):
    html = client.get("/dashboard/?since=24h").get_data(as_text=True)
    section = html[html.index('<section id="team">'):]
    section = section[:section.index("</section>")]
    assert HOSTILE not in section and "&lt;img src=x onerror=" in section
    assert "bo@box-b" in section and "ann@box-a" in section and "91%" in section
    assert '<option value="24h" selected>' in section
    one = client.get("/dashboard/?user=ann@box-a").get_data(as_text=True)
    people = one[one.index('id="team-people"'):one.index('id="team-cli"')]
    assert "ann@box-a" in people and "bo@box-b" not in people
    assert '<option value="ann@box-a" selected>' in one


def test_team_section_in_korean(client):
    html = client.get("/dashboard/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "사용자별 비용" in html and "사용 한도에 가장 가까운 사용자" in html and "Spend per person" not in html


def test_an_empty_store_says_so(store):
    client = create_app(config.load({}), store, Bus(), upstream=None).test_client()
    assert "No proxied requests in this period." in client.get("/dashboard/").get_data(as_text=True)
    body = _team(client)
    assert body["people"] == [] and body["quota_walls"] == [] and body["period"] == "7d"
