from tests.support import istiod, run_detector

PROVIDERS = """
extensionProviders:
- name: ls
  lightstep: {service: lightstep.tracing.svc.cluster.local, port: 8080}
- name: otel
  opentelemetry: {service: otel.tracing.svc.cluster.local, port: 4317}
"""
MESH = istiod("1.26.2", mesh=PROVIDERS) + """
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-tracing, namespace: istio-system}
spec:
  tracing: [{providers: [{name: ls}]}]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: otel-tracing, namespace: shop}
spec:
  tracing: [{providers: [{name: otel}]}]
"""


def test_lightstep_provider_and_its_telemetry_are_found() -> None:
    hits = run_detector("tracing_provider_in_use", MESH, {"types": ["lightstep", "opencensus"]})
    assert sorted(str(h.resource) for h in hits) == [
        "ConfigMap istio-system/istio",
        "Telemetry istio-system/mesh-tracing",
    ]


def test_opentelemetry_only_is_not_reported() -> None:
    text = MESH.replace("lightstep: {", "zipkin: {")
    assert run_detector("tracing_provider_in_use", text, {"types": ["lightstep", "opencensus"]}) == []
