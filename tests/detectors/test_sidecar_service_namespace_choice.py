from tests.support import run_detector

BASE = """
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: frontend}
spec:
  egress: [{hosts: ["./*", "routing/*", "istio-system/*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: payments, namespace: routing}
spec:
  hosts: [pay.example.com]
  http: [{route: [{destination: {host: payments.partner.internal}}]}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments, namespace: alpha, creationTimestamp: "2025-06-01T00:00:00Z"}
spec: {hosts: [payments.partner.internal], ports: [{number: 443, name: tls, protocol: TLS}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments, namespace: beta, creationTimestamp: "2024-01-01T00:00:00Z"}
spec: {hosts: [payments.partner.internal], ports: [{number: 443, name: tls, protocol: TLS}]}
"""


def test_oldest_service_entry_wins_over_alphabetical() -> None:
    hits = run_detector("sidecar_service_namespace_choice", BASE)
    assert [str(h.resource) for h in hits] == ["VirtualService routing/payments"]
    assert hits[0].details == {"old_namespace": "alpha", "new_namespace": "beta"}


def test_same_pick_is_not_reported() -> None:
    text = BASE.replace("2025-06-01", "2023-01-01")
    assert run_detector("sidecar_service_namespace_choice", text) == []


def test_no_sidecar_resource_no_hit() -> None:
    text = BASE.split("---", 1)[1]
    assert run_detector("sidecar_service_namespace_choice", text) == []
