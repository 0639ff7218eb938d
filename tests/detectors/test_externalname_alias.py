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
