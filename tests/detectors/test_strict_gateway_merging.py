from tests.support import run_detector

MANAGED = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge-istio, namespace: ingress}
spec:
  template:
    metadata: {labels: {gateway.networking.k8s.io/gateway-name: edge, istio.io/gateway-name: edge}}
    spec:
      containers: [{name: istio-proxy, image: auto}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: legacy, namespace: %s}
spec:
  selector: {istio.io/gateway-name: edge}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
"""


def test_cross_namespace_istio_gateway_is_reported() -> None:
    hits = run_detector("strict_gateway_merging", MANAGED % "team-a")
    assert [str(h.resource) for h in hits] == ["Gateway team-a/legacy"]


def test_same_namespace_gateway_is_kept() -> None:
    assert run_detector("strict_gateway_merging", MANAGED % "ingress") == []


def test_non_matching_selector_is_not_reported() -> None:
    text = (MANAGED % "team-a").replace("selector: {istio.io/gateway-name: edge}", "selector: {istio: ingressgateway}")
    assert run_detector("strict_gateway_merging", text) == []
