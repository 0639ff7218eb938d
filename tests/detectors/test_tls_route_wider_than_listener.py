from preflight.detectors.interface import Hit
from tests.support import istiod, run_detector

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ingress}
spec:
  gatewayClassName: istio
  listeners:
  - {name: tls-example, port: 443, protocol: TLS, hostname: "*.example.com", tls: {mode: Passthrough}}
  - {name: tls-any, port: 8443, protocol: TLS, tls: {mode: Passthrough}}
"""


def route(hostnames: str, section: str = "", name: str = "shop") -> str:
    section_line = f", sectionName: {section}" if section else ""
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {{name: {name}, namespace: ingress}}
spec:
  parentRefs: [{{name: edge{section_line}}}]
  hostnames: {hostnames}
  rules: [{{backendRefs: [{{name: shop, port: 443}}]}}]
"""


ISTIOD_WITH_ALPHA_FLAG = istiod("1.28.5", env={"PILOT_ENABLE_ALPHA_GATEWAY_API": "true"})


def detect(text: str, source: str = "1.30.0", target: str = "1.30.3") -> list[Hit]:
    return run_detector("tls_route_wider_than_listener", text, source=source, target=target)


def test_route_wider_than_its_listener_is_reported() -> None:
    hits = detect(GATEWAY + route('["*.com"]', "tls-example"))
    assert len(hits) == 1
    assert hits[0].resource.name == "shop"
    assert "*.com beyond listener ingress/edge/tls-example (*.example.com)" in hits[0].message


def test_route_attached_to_every_listener_is_checked_against_the_constrained_one() -> None:
    hits = detect(GATEWAY + route('["*.com"]'))
    assert [h.resource.name for h in hits] == ["shop"]
    assert "tls-any" not in hits[0].message  # no hostname there: nothing changes


def test_route_inside_the_listener_hostname_is_not_reported() -> None:
    text = GATEWAY + route('["shop.example.com", "*.example.com"]', "tls-example")
    assert detect(text) == []


def test_listener_without_hostname_and_disjoint_hostnames_are_not_reported() -> None:
    assert detect(GATEWAY + route('["*.com"]', "tls-any")) == []
    disjoint = GATEWAY + route('["shop.org"]', "tls-example")
    assert detect(disjoint) == []


def test_before_1_30_only_an_istiod_serving_tls_listeners_changes() -> None:
    text = GATEWAY + route('["*.com"]', "tls-example")
    assert detect(text, "1.28.5", "1.28.6") == []
    hits = detect(text + ISTIOD_WITH_ALPHA_FLAG, "1.28.5", "1.28.6")
    assert [h.resource.name for h in hits] == ["shop"]
