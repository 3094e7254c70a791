"""/api/v1/team and the dashboard's team section on a real `relay serve` that proxied requests,
on SQLite and on PostgreSQL (this folder's conftest): the person is the relay's own machine and
OS user, the dollars are the ones /api/v1/cost prices for the same rows."""
import getpass
import json
import os
import socket

import requests

from relay import paths
from relay.store import Store
from tests.proxy.conftest import messages_body, wait_rows


def _post(relay, n):
    for i in range(n):
        body = json.loads(messages_body(stream=False, model="claude-sonnet-4-5"))
        r = requests.post(relay.url + "/v1/messages", data=json.dumps(body), timeout=10,
                          headers={"content-type": "application/json", "x-claude-code-session-id": f"team-{i}"})
        assert r.status_code == 200


def test_team_api_names_this_relays_person_and_its_rows(relay, backend):
    _post(relay, 3)
    wait_rows(relay.url, 3)
    me = f"{getpass.getuser()}@{socket.gethostname()}"
    team = requests.get(relay.url + "/api/v1/team", params={"since": "24h"}, timeout=30).json()["team"]
    assert [p["person"] for p in team["people"]] == [me] and team["total"]["requests"] == 3
    assert [r["model"] for r in team["by_model"]] == ["claude-sonnet-4-5"]
    cost = requests.get(relay.url + "/api/v1/cost", params={"since": "24h", "by": "model"}, timeout=60).json()["cost"]
    assert team["total"]["cost"] == cost["total"]["cost"] and cost["total"]["cost"] > 0
    assert requests.get(relay.url + "/api/v1/team", params={"user": "nobody-else"}, timeout=30).json()[
        "team"]["people"] == []
    page = requests.get(relay.url + "/dashboard/", params={"user": me}, timeout=30).text
    assert f'<option value="{me}" selected>' in page
    # the rows are where the backend says: on PostgreSQL, nothing was written to a SQLite file
    store = Store(paths.db_path(), url=os.environ.get("RELAY_DATABASE_URL"))
    try:
        assert store.read(lambda c: c.execute("SELECT COUNT(*) FROM exchanges").fetchone()[0]) == 3
    finally:
        store.close()
