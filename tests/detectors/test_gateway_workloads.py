from tests.support import run_detector

TEXT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-ingress}
spec:
  template:
    metadata: {labels: {istio: ingressgateway, app: istio-ingressgateway}}
    spec: {containers: [{name: istio-proxy, image: docker.io/istio/proxyv2:1.24.2}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: waypoint, namespace: shop}
spec:
  template:
    metadata:
      labels: {gateway.networking.k8s.io/gateway-name: waypoint, gateway.istio.io/managed: istio.io-mesh-controller}
    spec: {containers: [{name: istio-proxy, image: docker.io/istio/proxyv2:1.24.2}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
"""


def test_only_gateways_are_reported() -> None:
    assert [h.resource.name for h in run_detector("gateway_workloads", TEXT)] == ["istio-ingressgateway"]
