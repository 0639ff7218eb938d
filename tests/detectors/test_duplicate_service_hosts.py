from tests.support import run_detector

SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: search, namespace: shop}
spec: {selector: {app: search}, ports: [{port: 80}]}
"""

ENTRY = """
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: search-override, namespace: ops}
spec:
  hosts: [search.shop.svc.cluster.local]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  {export}
"""


def test_host_defined_by_a_service_and_a_service_entry_is_reported() -> None:
    hits = run_detector("duplicate_service_hosts", SERVICE + ENTRY.replace("{export}", ""))
    assert sorted(str(h.resource) for h in hits) == ["Service shop/search", "ServiceEntry ops/search-override"]


def test_namespace_private_service_entry_does_not_clash() -> None:
    assert run_detector("duplicate_service_hosts", SERVICE + ENTRY.replace("{export}", 'exportTo: ["."]')) == []
