from tests.support import cluster_yaml, run_detector


def base(mesh: str = "accessLogFile: /dev/stdout") -> str:
    """istiod 1.21 with ``mesh`` as its mesh config, and one meshed service, shop/cart."""
    return cluster_yaml(namespaces=["shop"], workloads=["cart"], istiod_version="1.21.2", mesh=mesh)


ZIPKIN = """
---
apiVersion: v1
kind: Service
metadata: {name: zipkin, namespace: istio-system}
spec: {selector: {app: zipkin}, ports: [{port: 9411}]}
"""


def test_zipkin_service_relying_on_the_implicit_tracer_is_reported() -> None:
    hits = run_detector("default_zipkin_tracing", base() + ZIPKIN)
    assert [str(h.resource) for h in hits] == ["Service istio-system/zipkin"]
    assert [str(s) for s in hits[0].services or ()] == ["shop/cart"]


def test_no_zipkin_service_means_no_one_received_spans() -> None:
    assert run_detector("default_zipkin_tracing", base()) == []


def test_explicit_tracer_in_mesh_config_is_not_reported() -> None:
    mesh = "    defaultConfig:\n      tracing:\n        zipkin: {address: zipkin.istio-system:9411}"
    assert run_detector("default_zipkin_tracing", base(mesh) + ZIPKIN) == []


def test_telemetry_tracing_provider_is_not_reported() -> None:
    telemetry = """
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing: [{providers: [{name: otel}]}]
"""
    text = base() + ZIPKIN + telemetry
    assert run_detector("default_zipkin_tracing", text) == []
