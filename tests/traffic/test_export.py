"""``preflight traffic export`` against an HTTP server standing in for Prometheus, and a real one."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from preflight.traffic.interface import Mtls
from preflight.traffic.loader import load_traffic

SECRET = "s3cret-token-value"
NO_PROXY_ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *args],
        capture_output=True, text=True, env=NO_PROXY_ENV, timeout=120, check=False,
    )


class FakePrometheus(BaseHTTPRequestHandler):
    """Answers /api/v1/query like Prometheus, recording what it was asked."""

    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []
    status = 200

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("query", [""])[0]
        type(self).seen.append((query, dict(self.headers)))
        if type(self).status != 200:
            self._answer(type(self).status, {"status": "error", "errorType": "auth", "error": "denied"})
            return
        metric = {
            "reporter": "destination", "source_workload": "web", "source_workload_namespace": "shop",
            "source_principal": "spiffe://cluster.local/ns/shop/sa/web",
            "destination_service_name": "cart", "destination_service_namespace": "shop",
            "destination_workload": "cart", "destination_workload_namespace": "shop",
            "request_protocol": "tcp" if "tcp" in query else "http",
            "connection_security_policy": "mutual_tls",
        }
        result = [{"metric": metric, "value": [1717000000, "12.5"]}]
        self._answer(200, {"status": "success", "data": {"resultType": "vector", "result": result}})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_prometheus() -> Iterator[str]:
    FakePrometheus.seen = []
    FakePrometheus.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePrometheus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_export_queries_both_metrics_and_sends_the_header(fake_prometheus: str, tmp_path: Path) -> None:
    out = tmp_path / "traffic.json"
    result = run_cli("traffic", "export", "--prometheus", fake_prometheus + "/", "--window", "36h",
                     "--header", f"Authorization: Bearer {SECRET}", "-o", str(out))
    assert result.returncode == 0, result.stderr
    queries = [q for q, _ in FakePrometheus.seen]
    assert any("increase(istio_requests_total[36h])" in q for q in queries)
    assert any("increase(istio_tcp_connections_opened_total[36h])" in q for q in queries)
    assert all(q.startswith("sum by (reporter, source_workload,") for q in queries)
    assert all(h.get("Authorization") == f"Bearer {SECRET}" for _, h in FakePrometheus.seen)
    text = out.read_text()
    assert SECRET not in text + result.stdout + result.stderr
    traffic = load_traffic([str(out)])
    assert sorted(e.protocol for e in traffic.edges) == ["http", "tcp"]
    assert all(e.requests == 12 and e.mtls is Mtls.MUTUAL for e in traffic.edges)


def test_bearer_token_file_and_basic_auth_in_url(fake_prometheus: str, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(SECRET + "\n")
    result = run_cli("traffic", "export", "--prometheus", fake_prometheus, "--bearer-token-file", str(token))
    assert result.returncode == 0, result.stderr
    assert FakePrometheus.seen[0][1]["Authorization"] == f"Bearer {SECRET}"
    assert SECRET not in result.stdout + result.stderr
    assert json.loads(result.stdout)["data"]["resultType"] == "vector"

    FakePrometheus.seen = []
    with_user = fake_prometheus.replace("http://", f"http://admin:{SECRET}@")
    result = run_cli("traffic", "export", "--prometheus", with_user)
    assert result.returncode == 0, result.stderr
    assert FakePrometheus.seen[0][1]["Authorization"].startswith("Basic ")
    assert SECRET not in result.stdout + result.stderr


def test_refused_credentials_fail_without_writing(fake_prometheus: str, tmp_path: Path) -> None:
    FakePrometheus.status = 401
    out = tmp_path / "traffic.json"
    result = run_cli("traffic", "export", "--prometheus", fake_prometheus, "-o", str(out),
                     "--header", f"Authorization: Bearer {SECRET}")
    assert result.returncode == 2
    assert "HTTP 401" in result.stderr and "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "7days"], "--window '7days'"),
        (["--header", f"Authorization Bearer {SECRET}"], "--header number 1"),
        (["--bearer-token-file", "/nonexistent/token"], "cannot read the token"),
    ],
)
def test_bad_options_exit_2_without_echoing_secrets(
    fake_prometheus: str, args: list[str], message: str
) -> None:
    result = run_cli("traffic", "export", "--prometheus", fake_prometheus, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert SECRET not in result.stderr
    assert FakePrometheus.seen == []


def test_unreachable_prometheus_is_bad_input() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("traffic", "export", "--prometheus", f"http://127.0.0.1:{port}", "--timeout", "5")
    assert result.returncode == 2
    assert "cannot reach Prometheus" in result.stderr


# A real Prometheus scraping an exporter this test serves ------------------------------------

EXPOSITION = """\
# TYPE istio_requests_total counter
istio_requests_total{{reporter="destination",source_workload="web",source_workload_namespace="shop",\
source_principal="spiffe://cluster.local/ns/shop/sa/web",destination_workload="cart",\
destination_workload_namespace="shop",destination_service="cart.shop.svc.cluster.local",\
destination_service_name="cart",destination_service_namespace="shop",request_protocol="http",\
response_code="200",connection_security_policy="mutual_tls"}} {requests}
istio_requests_total{{reporter="destination",source_workload="unknown",source_workload_namespace="unknown",\
source_principal="unknown",destination_workload="cart",destination_workload_namespace="shop",\
destination_service="cart.shop.svc.cluster.local",destination_service_name="cart",\
destination_service_namespace="shop",request_protocol="http",response_code="200",\
connection_security_policy="none"}} {requests}
# TYPE istio_tcp_connections_opened_total counter
istio_tcp_connections_opened_total{{reporter="destination",source_workload="cart",\
source_workload_namespace="shop",source_principal="spiffe://cluster.local/ns/shop/sa/cart",\
destination_workload="postgres",destination_workload_namespace="data",destination_service="db.data.svc.cluster.local",\
destination_service_name="db",destination_service_namespace="data",request_protocol="tcp",\
connection_security_policy="mutual_tls"}} {connections}
"""


class Exporter(BaseHTTPRequestHandler):
    """Serves counters that grow at every scrape, as a busy mesh's would."""

    scrapes = 0

    def do_GET(self) -> None:
        type(self).scrapes += 1
        n = type(self).scrapes
        body = EXPOSITION.format(requests=100 * n, connections=3 * n).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _query_value(base: str, promql: str) -> float:
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as response:
        result = json.load(response)["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


@pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="needs the prometheus binary (Debian: apt-get install -y prometheus)",
)
def test_export_from_a_real_prometheus(tmp_path: Path) -> None:
    Exporter.scrapes = 0
    exporter = ThreadingHTTPServer(("127.0.0.1", 0), Exporter)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n  - job_name: mesh\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter.server_address[1]}']\n"
    )
    server = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _query_value(base, "sum(increase(istio_tcp_connections_opened_total[5m]))") > 0:
                    break
            except (OSError, KeyError, ValueError):
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                log = (tmp_path / "prometheus.log").read_text()
                pytest.fail("prometheus did not scrape in time:\n" + log)
            time.sleep(0.5)
        out = tmp_path / "traffic.json"
        result = run_cli("traffic", "export", "--prometheus", base, "--window", "5m", "-o", str(out),
                         "--header", f"Authorization: Bearer {SECRET}")
        assert result.returncode == 0, result.stderr
        assert SECRET not in out.read_text() + result.stderr
        traffic = load_traffic([str(out)])
    finally:
        server.terminate()
        server.wait(timeout=30)
        exporter.shutdown()
        exporter.server_close()
    by_source = {(str(e.source), e.protocol): e for e in traffic.edges}
    assert set(by_source) == {("shop/web", "http"), ("unknown", "http"), ("shop/cart", "tcp")}
    web = by_source[("shop/web", "http")]
    assert str(web.destination.service_ref) == "shop/cart" and web.mtls is Mtls.MUTUAL and web.requests > 0
    outside = by_source[("unknown", "http")]
    assert outside.source.in_mesh is False and outside.mtls is Mtls.NONE
    database = by_source[("shop/cart", "tcp")]
    assert str(database.destination.service_ref) == "data/db" and database.destination.workload == "postgres"
    assert database.source.principal == "spiffe://cluster.local/ns/shop/sa/cart"
