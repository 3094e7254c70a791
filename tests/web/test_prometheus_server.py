"""A real Prometheus server (Debian's `prometheus` package) scrapes a real relay every second; its
query API must return relay's series with the values of the exchanges sent through the proxy."""
import getpass
import shutil
import socket
import subprocess
import time

import pytest
import requests

from tests.proxy.conftest import messages_body, wait_rows

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(PROMETHEUS is None, reason="no prometheus binary (Debian: apt-get install prometheus)")
HEADERS = {"content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01",
           "user-agent": "claude-cli/2.1.0 (external, cli)", "x-fake-utilization": "5h=0.4,7d=0.2"}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrometheusServer:
    def __init__(self, tmp_path, target):
        self.dir = tmp_path / "prometheus"
        (self.dir / "data").mkdir(parents=True)
        config = self.dir / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                          "scrape_configs:\n  - job_name: relay\n    metrics_path: /metrics\n"
                          f"    static_configs:\n      - targets: ['{target}']\n")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(self.dir / "log.txt", "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline and self.proc.poll() is None:
            try:
                if requests.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError("prometheus did not become ready:\n" + (self.dir / "log.txt").read_text()[-3000:])

    def query(self, promql):
        """{frozenset(labels minus __name__/job/instance): value} of an instant query."""
        body = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5).json()
        assert body["status"] == "success", body
        out = {}
        for item in body["data"]["result"]:
            labels = {k: v for k, v in item["metric"].items() if k not in ("__name__", "job", "instance")}
            out[frozenset(labels.items())] = float(item["value"][1])
        return out

    def wait_for(self, promql, predicate, timeout=60):
        """Poll the query (bounded) until the predicate holds on its result; returns the result."""
        deadline = time.time() + timeout
        result = None
        while time.time() < deadline:
            result = self.query(promql)
            if predicate(result):
                return result
            time.sleep(0.2)
        raise AssertionError(f"{promql}: {result}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def prometheus_for(tmp_path):
    servers = []

    def start(target):
        server = PrometheusServer(tmp_path, target)
        servers.append(server)
        server.wait_ready()
        return server

    yield start
    for server in servers:   # even when the test failed
        server.stop()


def test_real_prometheus_scrapes_relay(relay, upstream, prometheus_for):
    for stream in (False, True, True):
        r = requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=stream), headers=HEADERS, timeout=10)
        assert r.status_code == 200
    requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=False),
                  headers={**HEADERS, "x-fake-scenario": "error-500"}, timeout=10)
    wait_rows(relay.url, 4)
    prom = prometheus_for(relay.url.removeprefix("http://"))
    user = getpass.getuser()
    series = {"provider": "anthropic", "user": user, "client": "claude", "model": "claude-opus-5-5"}
    up = prom.wait_for('up{job="relay"}', lambda r: list(r.values()) == [1.0])
    assert up
    # fake upstream usage per answer: 12 input, 7 output, 500 5m + 1000 1h writes, 3000 reads
    tokens = prom.wait_for("relay_tokens_total", lambda r: len(r) >= 7)
    by_kind = {dict(k)["kind"]: v for k, v in tokens.items()}
    assert {k: by_kind[k] for k in ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")} == {
        "input": 36, "output": 21, "cache_read": 9000, "cache_write_5m": 1500, "cache_write_1h": 3000}
    assert all({**series, "kind": dict(k)["kind"]} == dict(k) for k in tokens)
    requests_total = prom.query("relay_requests_total")
    assert requests_total == {frozenset({**series, "status_class": "2xx", "outcome": "ok"}.items()): 3,
                              frozenset({**series, "status_class": "5xx", "outcome": "upstream_error"}.items()): 1}
    assert prom.query("relay_errors_total") == {
        frozenset({**series, "status_class": "5xx", "outcome": "upstream_error"}.items()): 1}
    # 3 answers at 4 / 20 / 5 / 8 / 0.2 per MTok (the 500 carries no usage)
    cost = prom.query("relay_cost_usd_total")
    assert list(cost) == [frozenset(series.items())]
    assert list(cost.values())[0] == pytest.approx(3 * 0.011288)
    assert prom.query("sum(relay_request_duration_seconds_count)") == {frozenset(): 4}
    assert prom.query('relay_request_ttfb_seconds_bucket{le="+Inf"}') == {
        frozenset({**series, "le": "+Inf"}.items()): 4}
    quota = prom.query("relay_quota_utilization_ratio")
    assert quota[frozenset({"provider": "anthropic", "user": user, "window": "5h"}.items())] == 0.4
    assert quota[frozenset({"provider": "anthropic", "user": user, "window": "7d"}.items())] == 0.2
    for labels in list(tokens) + list(requests_total):
        assert not any("session" in k for k, _ in labels)

    # More traffic: the next scrapes only grow the counters
    requests.post(f"{relay.url}/v1/messages", data=messages_body(stream=False), headers=HEADERS, timeout=10)
    grown = prom.wait_for('relay_tokens_total{kind="input"}', lambda r: list(r.values()) == [48.0])
    assert list(grown) == [frozenset({**series, "kind": "input"}.items())]
    resets = prom.query('resets(relay_tokens_total{kind="input"}[5m])')
    assert resets == {frozenset({**series, "kind": "input"}.items()): 0}
