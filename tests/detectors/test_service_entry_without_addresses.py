from tests.support import run_detector

TEXT = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: egress}
spec:
  hosts: [db.partner.example]
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: fixed, namespace: egress}
spec:
  hosts: [cache.partner.example]
  addresses: [240.0.0.10]
  ports: [{number: 6379, name: tcp, protocol: TCP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: passthrough, namespace: egress}
spec:
  hosts: [any.partner.example]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: NONE
"""


def test_only_entries_without_addresses_get_allocations() -> None:
    assert [h.resource.name for h in run_detector("service_entry_without_addresses", TEXT)] == ["db"]
