from tests.support import run_detector

ENTRIES = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tls-origination, namespace: egress}
spec:
  hosts: [api.partner.example]
  resolution: NONE
  ports:
  - {number: 80, name: http, protocol: HTTP, targetPort: 443}
  - {number: 8080, name: http-alt, protocol: HTTP, targetPort: 8080}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: same-port, namespace: egress}
spec:
  hosts: [db.partner.example]
  ports:
  - {number: 5432, name: tcp, protocol: TCP, targetPort: 5432}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: dns-resolved, namespace: egress}
spec:
  hosts: [cache.partner.example]
  resolution: DNS
  ports:
  - {number: 80, name: http, protocol: HTTP, targetPort: 8080}
"""


def test_passthrough_entry_with_differing_target_port_is_reported() -> None:
    hits = run_detector("service_entry_target_port", ENTRIES)
    assert [h.resource.name for h in hits] == ["tls-origination"]
    assert hits[0].details["ports"] == "80→443"


def test_equal_target_port_and_other_resolutions_are_not_reported() -> None:
    hits = run_detector("service_entry_target_port", ENTRIES)
    assert not {"same-port", "dns-resolved"} & {h.resource.name for h in hits}
