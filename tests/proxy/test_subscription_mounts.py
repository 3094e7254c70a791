"""The subscription-login mounts: /backend-api (Codex logged in to ChatGPT) and /v1internal (Gemini
CLI logged in with a Google account, Code Assist), with the requests the real CLIs sent
(tests/data/requests/codex-chatgpt, gemini-code-assist; recorded per ../shared/REAL-CLIENTS.md §7)."""
import base64
import json

import requests

from tests.conftest import REQUESTS
from tests.fake_wire import CODEX_HEADERS, GEMINI_ROW, OPENAI_ROW, QUOTA_RESET, TEXT, WHAM_RESET
from tests.proxy.conftest import wait_rows
from tests.relay_process import RelayProcess

CHATGPT = REQUESTS / "codex-chatgpt"
CODE_ASSIST = REQUESTS / "gemini-code-assist"
HOP = ("host", "content-length", "connection", "accept-encoding")


def recorded(path):
    """(headers, body bytes) of a recorded request, its credentials kept (they are fakes)."""
    data = json.loads(path.read_text())
    headers = {k: v for k, v in data["headers"].items() if k.lower() not in HOP}
    body = data["body"]
    return headers, (json.dumps(body).encode() if body is not None else None)


def test_codex_chatgpt_model_call_is_recorded_under_its_thread(relay, upstream):
    headers, body = recorded(CHATGPT / "015-POST-backend-api_codex_responses.json")
    with requests.post(relay.url + "/backend-api/codex/responses", data=body, headers=headers, stream=True,
                       timeout=10) as resp:
        raw = b"".join(resp.raw.stream(1024, decode_content=False))
    assert resp.status_code == 200 and b"response.completed" in raw
    seen = upstream.requests[0]
    assert seen["path"] == "/backend-api/codex/responses" and seen["body"] == body
    assert seen["headers"]["authorization"] == headers["authorization"]
    assert seen["headers"]["chatgpt-account-id"] == "acct-123"
    [row] = wait_rows(relay.url, 1)
    assert row["provider"] == "openai" and row["cli"] == "codex" and row["path"] == "/backend-api/codex/responses"
    assert row["session_id"] == headers["thread-id"] == "01a24d3b-2ce3-7020-b75a-5787f83399d0"
    assert row["model"] == json.loads(body)["model"] and row["stream"] is True and row["outcome"] == "ok"
    assert {k: row[k] for k in OPENAI_ROW} == OPENAI_ROW and row["ratelimit"] == CODEX_HEADERS
    token = headers["authorization"].split()[1]
    assert token not in json.dumps(row)
    quota = requests.get(relay.url + "/api/v1/quota", timeout=10).json()["quota"]
    windows = {w["name"]: w for w in quota["codex"]["windows"]}
    assert (windows["primary"]["utilization_pct"], windows["primary"]["window_minutes"]) == (12.5, 300)
    assert (windows["secondary"]["utilization_pct"], windows["secondary"]["window_minutes"]) == (40, 10080)


def test_chatgpt_tree_passes_through_and_wham_usage_is_measured_quota(relay, upstream):
    headers, _ = recorded(CHATGPT / "005-GET-backend-api_wham_accounts_check.json")
    assert requests.get(relay.url + "/backend-api/wham/accounts/check", headers=headers, timeout=10).json() == {}
    usage = requests.get(relay.url + "/backend-api/wham/usage", headers=headers, timeout=10)
    assert usage.json()["rate_limit"]["primary_window"]["used_percent"] == 21
    mcp_headers, mcp_body = recorded(CHATGPT / "010-POST-backend-api_ps_mcp.json")
    assert requests.post(relay.url + "/backend-api/ps/mcp", data=mcp_body, headers=mcp_headers,
                         timeout=10).status_code == 200
    assert [r["path"] for r in upstream.requests] == ["/backend-api/wham/accounts/check", "/backend-api/wham/usage",
                                                      "/backend-api/ps/mcp"]
    rows = {r["path"]: r for r in wait_rows(relay.url, 3)}
    assert all(r["outcome"] == "ok" and r["cli"] == "codex" for r in rows.values())
    assert rows["/backend-api/wham/usage"]["ratelimit"]["x-codex-primary-used-percent"] == "21"
    quota = requests.get(relay.url + "/api/v1/quota", timeout=10).json()["quota"]
    assert quota["source"] == "measured"
    windows = {w["name"]: w for w in quota["codex"]["windows"]}
    assert (windows["primary"]["utilization_pct"], windows["primary"]["window_minutes"]) == (21, 300)
    assert windows["primary"]["reset_ts"] == WHAM_RESET
    assert (windows["secondary"]["utilization_pct"], windows["secondary"]["window_minutes"]) == (55, 10080)


def test_new_mounts_are_byte_exact_chunk_by_chunk(relay, upstream):
    """Odd chunking (an event cut in two, CRLF, a comment) reaches the client byte for byte."""
    for path in ("/backend-api/codex/responses", "/v1internal:streamGenerateContent?alt=sse"):
        chunks = [b'event: response.created\ndata: {"type":"response.cr', b'eated","response":{"id":"r1"}}\n\n',
                  b": keep-alive\r\n\r\n", b"data: {\"response\": {\"candidates\": []}}\r\n\r\n", b"\xff\x00tail"]
        body = json.dumps({"model": "m", "stream": True,
                           "raw_chunks": [base64.b64encode(c).decode() for c in chunks]}).encode()
        with requests.post(relay.url + path, data=body, stream=True, timeout=10,
                           headers={"x-fake-scenario": "raw", "content-type": "application/json"}) as resp:
            got = b"".join(resp.raw.stream(1024, decode_content=False))
        assert got == b"".join(chunks), path
        assert upstream.requests[-1]["body"] == body


def test_code_assist_model_calls_are_recorded_under_the_body_session(relay, upstream):
    headers, body = recorded(CODE_ASSIST / "013-POST-v1internal_generateContent.json")
    sent = json.loads(body)
    plain = requests.post(relay.url + "/v1internal:generateContent", data=body, headers=headers, timeout=10)
    assert plain.status_code == 200 and set(plain.json()) == {"response", "traceId"}
    sent["request"]["session_id"] = "gemini-session-1"
    sent["request"]["generationConfig"].pop("responseMimeType")   # the recorded call is the router's JSON
    stream_body = json.dumps(sent).encode()
    with requests.post(relay.url + "/v1internal:streamGenerateContent?alt=sse", data=stream_body, headers=headers,
                       stream=True, timeout=10) as resp:
        raw = b"".join(resp.raw.stream(1024, decode_content=False))
    chunks = [json.loads(part[len(b"data: "):]) for part in raw.split(b"\r\n\r\n") if part]
    assert "".join(c["response"]["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == TEXT
    assert [r["path"] for r in upstream.requests] == ["/v1internal:generateContent",
                                                      "/v1internal:streamGenerateContent?alt=sse"]
    assert upstream.requests[0]["headers"]["authorization"] == "Bearer ya29.META-FAKE"
    rows = {r["path"]: r for r in wait_rows(relay.url, 2)}
    generate = rows["/v1internal:generateContent"]
    assert generate["provider"] == "gemini" and generate["cli"] == "gemini" and generate["stream"] is False
    assert generate["model"] == "gemini-3.1-flash-lite"
    assert generate["session_id"] == "27095ab8-5d6c-4858-9c81-234746c47a92"
    stream = rows["/v1internal:streamGenerateContent?alt=sse"]
    assert stream["session_id"] == "gemini-session-1" and stream["stream"] is True
    for row in rows.values():
        assert {k: row[k] for k in GEMINI_ROW} == GEMINI_ROW
        assert row["stop_reason"] == "STOP" and row["outcome"] == "ok"
        assert "ya29." not in json.dumps(row)


def test_code_assist_quota_buckets_are_measured(relay, upstream):
    headers, body = recorded(CODE_ASSIST / "009-POST-v1internal_retrieveUserQuota.json")
    for method in ("loadCodeAssist", "retrieveUserQuota"):
        answer = requests.post(f"{relay.url}/v1internal:{method}", data=body, headers=headers, timeout=10)
        assert answer.status_code == 200
    wait_rows(relay.url, 2)
    quota = requests.get(relay.url + "/api/v1/quota", timeout=10).json()["quota"]
    assert quota["source"] == "measured"
    buckets = {w["name"]: w for w in quota["gemini"]["windows"]}
    assert set(buckets) == {"gemini-2.5-pro", "gemini-2.5-flash"}
    assert buckets["gemini-2.5-pro"]["remaining_pct"] == 75 and buckets["gemini-2.5-pro"]["utilization_pct"] == 25
    assert buckets["gemini-2.5-flash"]["utilization_pct"] == 50 and buckets["gemini-2.5-flash"]["reset"] == QUOTA_RESET
    page = requests.get(relay.url + "/dashboard/", timeout=10).text
    assert "<td>gemini</td><td>gemini-2.5-pro</td><td class=\"num\">25%</td>" in page


def test_unreachable_new_mounts_answer_in_their_providers_shape(tmp_path):
    with RelayProcess("http://127.0.0.1:9") as relay:
        chatgpt = requests.post(relay.url + "/backend-api/codex/responses", json={"model": "m"}, timeout=20)
        assert chatgpt.status_code == 502 and set(chatgpt.json()["error"]) == {"message", "type", "param", "code"}
        assist = requests.post(relay.url + "/v1internal:generateContent", json={"model": "m"}, timeout=20)
        assert assist.status_code == 502 and assist.json()["error"]["status"] == "UNAVAILABLE"


def test_each_exchange_and_card_names_its_cli(relay, upstream):
    codex_headers, codex_body = recorded(CHATGPT / "015-POST-backend-api_codex_responses.json")
    requests.post(relay.url + "/backend-api/codex/responses", data=codex_body, headers=codex_headers, timeout=10)
    assist_headers, assist_body = recorded(CODE_ASSIST / "013-POST-v1internal_generateContent.json")
    requests.post(relay.url + "/v1internal:generateContent", data=assist_body, headers=assist_headers, timeout=10)
    # The API-key mounts: the mount names the CLI when the user agent does not.
    requests.post(relay.url + "/openai/v1/responses", json={"model": "gpt-5-codex", "input": "hi"}, timeout=10,
                  headers={"session-id": "codex-api-session"})
    requests.post(relay.url + "/v1/messages", timeout=10, headers={"x-claude-code-session-id": "claude-session"},
                  json={"model": "claude-opus-5-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]})
    rows = wait_rows(relay.url, 4)
    assert sorted((r["session_id"], r["cli"]) for r in rows) == [
        ("01a24d3b-2ce3-7020-b75a-5787f83399d0", "codex"), ("27095ab8-5d6c-4858-9c81-234746c47a92", "gemini"),
        ("claude-session", "claude"), ("codex-api-session", "codex")]
    sessions = requests.get(relay.url + "/api/v1/sessions", timeout=10).json()["sessions"]
    assert {s["session_id"]: s["cli"] for s in sessions}["27095ab8-5d6c-4858-9c81-234746c47a92"] == "gemini"
    display = requests.get(relay.url + "/display/", timeout=10).text
    for cli, provider in (("codex", "openai"), ("gemini", "gemini"), ("claude", "anthropic")):
        assert f'<span class="badge cli">{cli}</span> <span class="badge provider">{provider}</span>' in display
    # history capture reads every CLI now; pruning stays Anthropic-only, and the card says so
    assert display.count("pruning applies to Claude Code (Anthropic) requests only") == 3   # 2 codex, 1 gemini
    assert "composition, history capture and pruning read" not in display
    dashboard = requests.get(relay.url + "/dashboard/", timeout=10).text
    assert "<td>codex</td><td>openai</td>" in dashboard and "<td>gemini</td><td>gemini</td>" in dashboard
