from tests.support import run_detector

BASE = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: plain}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {selector: {app: db}, ports: [{port: 5432}]}
"""


def _deployment(namespace: str, probe: str, annotations: str = "{}") -> str:
    return f"""
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: db, namespace: {namespace}}}
spec:
  template:
    metadata: {{labels: {{app: db}}, annotations: {annotations}}}
    spec:
      containers:
      - name: postgres
        image: postgres:16
        readinessProbe: {probe}
"""


def test_tcp_probe_on_sidecar_workload_is_reported() -> None:
    hits = run_detector(
        "rewritten_app_probes",
        BASE + _deployment("shop", "{tcpSocket: {port: 5432}}"),
        {"probe_kinds": ["tcpSocket"], "reason": "now really checks the port"},
    )
    assert [str(h.resource) for h in hits] == ["Deployment shop/db"]
    assert "postgres readinessProbe (tcpSocket)" in hits[0].message
    assert [str(s) for s in hits[0].services or ()] == ["shop/db"]


def test_other_probe_kinds_unmeshed_or_opted_out_are_not_reported() -> None:
    params = {"probe_kinds": ["tcpSocket"]}
    http_probe = BASE + _deployment("shop", "{httpGet: {port: 80}}")
    assert run_detector("rewritten_app_probes", http_probe, params) == []
    unmeshed = BASE + _deployment("plain", "{tcpSocket: {port: 5432}}")
    assert run_detector("rewritten_app_probes", unmeshed, params) == []
    no_rewrite = '{sidecar.istio.io/rewriteAppHTTPProbers: "false"}'
    opted_out = _deployment("shop", "{tcpSocket: {port: 5432}}", no_rewrite)
    assert run_detector("rewritten_app_probes", BASE + opted_out, params) == []


def test_http_schemes_keeps_only_probes_of_those_schemes() -> None:
    params = {"probe_kinds": ["httpGet"], "http_schemes": ["HTTPS"]}
    https = BASE + _deployment("shop", "{httpGet: {port: 8443, path: /ready, scheme: HTTPS}}")
    plain = BASE + _deployment("shop", "{httpGet: {port: 8080, path: /ready}}")
    assert [h.resource.name for h in run_detector("rewritten_app_probes", https, params)] == ["db"]
    assert run_detector("rewritten_app_probes", plain, params) == []
    assert len(run_detector("rewritten_app_probes", plain, {"probe_kinds": ["httpGet"]})) == 1
