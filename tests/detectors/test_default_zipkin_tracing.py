from tests.support import run_detector

BASE = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  template:
    spec:
      containers: [{name: discovery, image: docker.io/istio/pilot:1.21.2}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
{mesh}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  template:
    metadata: {labels: {app: cart}}
    spec: {containers: [{name: app, image: cart:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {selector: {app: cart}, ports: [{port: 80}]}
"""

ZIPKIN = """
---
apiVersion: v1
kind: Service
metadata: {name: zipkin, namespace: istio-system}
spec: {selector: {app: zipkin}, ports: [{port: 9411}]}
"""


def test_zipkin_service_relying_on_the_implicit_tracer_is_reported() -> None:
    hits = run_detector("default_zipkin_tracing", BASE.replace("{mesh}", "    accessLogFile: /dev/stdout") + ZIPKIN)
    assert [str(h.resource) for h in hits] == ["Service istio-system/zipkin"]
    assert [str(s) for s in hits[0].services or ()] == ["shop/cart"]


def test_no_zipkin_service_means_no_one_received_spans() -> None:
    assert run_detector("default_zipkin_tracing", BASE.replace("{mesh}", "    accessLogFile: /dev/stdout")) == []


def test_explicit_tracer_in_mesh_config_is_not_reported() -> None:
    mesh = "    defaultConfig:\n      tracing:\n        zipkin: {address: zipkin.istio-system:9411}"
    assert run_detector("default_zipkin_tracing", BASE.replace("{mesh}", mesh) + ZIPKIN) == []


def test_telemetry_tracing_provider_is_not_reported() -> None:
    telemetry = """
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing: [{providers: [{name: otel}]}]
"""
    text = BASE.replace("{mesh}", "    accessLogFile: /dev/stdout") + ZIPKIN + telemetry
    assert run_detector("default_zipkin_tracing", text) == []
