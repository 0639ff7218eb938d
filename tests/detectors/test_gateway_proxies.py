from tests.support import run_detector

GATEWAY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-ingress}
spec:
  template:
    metadata: {labels: {istio: ingressgateway, app: istio-ingressgateway}}
    spec:
      containers: [{name: istio-proxy, image: auto}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api:1}]
"""
TRACING = """
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing: [{providers: [{name: otel}]}]
"""


def test_gateway_is_reported_when_traced() -> None:
    hits = run_detector("gateway_proxies", GATEWAY + TRACING, {"only_when_tracing": True})
    assert [str(h.resource) for h in hits] == ["Deployment istio-ingress/istio-ingressgateway"]


def test_nothing_without_telemetry_tracing() -> None:
    assert run_detector("gateway_proxies", GATEWAY, {"only_when_tracing": True}) == []


def test_app_workloads_are_not_gateways() -> None:
    hits = run_detector("gateway_proxies", GATEWAY)
    assert all(h.resource.name != "api" for h in hits)
