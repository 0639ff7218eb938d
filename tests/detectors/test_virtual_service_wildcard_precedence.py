from tests.support import run_detector

WILDCARD_ENTRY = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: wiki, namespace: egress}
spec:
  hosts: ["*.wiki.example"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: NONE
"""


def virtual_service(name: str, host: str, created: str, gateways: str = "") -> str:
    return f"""
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {name}, namespace: egress, creationTimestamp: "{created}"}}
spec:
  hosts: ["{host}"]
  {gateways}
  http:
  - route:
    - destination: {{host: "{host}"}}
"""


def test_older_narrow_host_loses_to_exact_wildcard() -> None:
    text = (
        WILDCARD_ENTRY
        + virtual_service("english-only", "en.wiki.example", "2023-01-01T00:00:00Z")
        + virtual_service("all-wikis", "*.wiki.example", "2024-01-01T00:00:00Z")
    )
    hits = run_detector("virtual_service_wildcard_precedence", text)
    assert sorted(h.resource.name for h in hits) == ["all-wikis", "english-only"]
    assert hits[0].details["until 1.20"] == "VirtualService egress/english-only"
    assert hits[0].details["from 1.21"] == "VirtualService egress/all-wikis"


def test_oldest_is_already_most_specific_nothing_changes() -> None:
    text = (
        WILDCARD_ENTRY
        + virtual_service("all-wikis", "*.wiki.example", "2023-01-01T00:00:00Z")
        + virtual_service("english-only", "en.wiki.example", "2024-01-01T00:00:00Z")
    )
    assert run_detector("virtual_service_wildcard_precedence", text) == []


def test_gateway_bound_virtual_services_do_not_compete() -> None:
    text = (
        WILDCARD_ENTRY
        + virtual_service("english-only", "en.wiki.example", "2023-01-01T00:00:00Z", "gateways: [public-gw]")
        + virtual_service("all-wikis", "*.wiki.example", "2024-01-01T00:00:00Z")
    )
    assert run_detector("virtual_service_wildcard_precedence", text) == []


def test_without_wildcard_service_entry_nothing_is_reported() -> None:
    text = virtual_service("english-only", "en.wiki.example", "2023-01-01T00:00:00Z") + virtual_service(
        "all-wikis", "*.wiki.example", "2024-01-01T00:00:00Z"
    )
    assert run_detector("virtual_service_wildcard_precedence", text) == []
