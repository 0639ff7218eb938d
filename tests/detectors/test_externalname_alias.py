from preflight.detectors.interface import Hit
from preflight.kb.interface import Severity
from tests.support import run_detector

EXTERNAL = """
apiVersion: v1
kind: Service
metadata: {name: legacy-billing, namespace: payments}
spec:
  type: ExternalName
  externalName: billing.example.com
  ports: [{name: tcp, port: 443}]
"""

IN_CLUSTER = """
apiVersion: v1
kind: Service
metadata: {name: api, namespace: payments}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80}]
"""


def test_externalname_service_is_reported_for_itself() -> None:
    hits = run_detector("externalname_alias", EXTERNAL)
    assert [str(h.resource) for h in hits] == ["Service payments/legacy-billing"]
    assert [str(s) for s in hits[0].services or ()] == ["payments/legacy-billing"]


def test_ordinary_services_are_not_reported() -> None:
    assert run_detector("externalname_alias", IN_CLUSTER) == []


def test_route_to_alias_without_known_target_breaks() -> None:
    hits = run_detector(
        "externalname_alias",
        EXTERNAL
        + """
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: billing-route, namespace: payments}
spec:
  hosts: [billing.payments.svc.cluster.local]
  http:
  - route:
    - destination: {host: legacy-billing}
""",
    )
    assert "VirtualService payments/billing-route" in [str(h.resource) for h in hits]


def test_route_to_alias_with_service_entry_target_keeps_working() -> None:
    hits = run_detector(
        "externalname_alias",
        EXTERNAL
        + """
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: billing-external, namespace: payments}
spec:
  hosts: [billing.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: billing-route, namespace: payments}
spec:
  hosts: [billing.payments.svc.cluster.local]
  http:
  - route:
    - destination: {host: legacy-billing}
""",
    )
    assert "VirtualService payments/billing-route" not in [str(h.resource) for h in hits]


def test_destination_rule_on_alias_stops_applying() -> None:
    hits = run_detector(
        "externalname_alias",
        EXTERNAL
        + """
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: billing-tls, namespace: payments}
spec:
  host: legacy-billing.payments.svc.cluster.local
  trafficPolicy: {tls: {mode: SIMPLE}}
""",
    )
    rule_hits = [h for h in hits if h.resource.kind == "DestinationRule"]
    assert len(rule_hits) == 1
    assert "stops applying" in rule_hits[0].message


# After istio/istio tests/integration/pilot/common/routing.go (externalNameCases, tag 1.21.0): an
# ExternalName without ports naming the in-cluster Service b, which the test expects to reach over mTLS.
ALIAS_OF_SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: b, namespace: echo}
spec:
  selector: {app: b}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: b-ext-no-port, namespace: echo}
spec:
  type: ExternalName
  externalName: b.echo.svc.cluster.local
"""

REGISTRY_ONLY_MESH = """
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  template:
    spec:
      containers: [{name: discovery, image: docker.io/istio/pilot:1.20.3}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    outboundTrafficPolicy: {mode: REGISTRY_ONLY}
"""


def _alias_hit(text: str) -> Hit:
    (hit,) = [h for h in run_detector("externalname_alias", text) if h.resource.kind == "Service"]
    return hit


def test_alias_of_an_in_cluster_service_gains_its_mtls_and_rules() -> None:
    hit = _alias_hit(ALIAS_OF_SERVICE)
    assert hit.details["alias_case"] == "in-cluster service" and hit.details["alias_of"] == "echo/b"
    assert "alias of the in-cluster Service echo/b" in hit.message and "Istio mTLS" in hit.message
    assert "BlackHoleCluster" not in hit.message
    assert hit.severity is Severity.MEDIUM


def test_alias_of_an_external_host_breaks_under_registry_only() -> None:
    hit = _alias_hit(EXTERNAL + REGISTRY_ONLY_MESH)
    assert hit.details["alias_case"] == "unregistered host, REGISTRY_ONLY"
    assert "billing.example.com, which no Service or ServiceEntry defines" in hit.message
    assert "BlackHoleCluster and fail" in hit.message and "mTLS" not in hit.message
    assert hit.severity is None  # the entry's own (high)


def test_alias_of_an_external_host_under_allow_any_still_passes_through() -> None:
    hit = _alias_hit(EXTERNAL)
    assert hit.details["alias_case"] == "unregistered host, ALLOW_ANY"
    assert "PassthroughCluster" in hit.message and "fail" not in hit.message
    assert hit.severity is Severity.MEDIUM


def test_alias_of_an_external_host_breaks_for_registry_only_sidecars() -> None:
    sidecar = """
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: locked, namespace: shop}
spec: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
"""
    hit = _alias_hit(EXTERNAL + sidecar)
    assert "Sidecars shop/locked (outboundTrafficPolicy REGISTRY_ONLY)" in hit.message
    assert hit.severity is None


def test_alias_of_a_service_entry_host_follows_it() -> None:
    entry = """
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: billing-external, namespace: payments}
spec: {hosts: [billing.example.com], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}
"""
    hit = _alias_hit(EXTERNAL + entry + REGISTRY_ONLY_MESH)
    assert hit.details["alias_case"] == "service entry"
    assert "ServiceEntry payments/billing-external" in hit.message and "BlackHole" not in hit.message
