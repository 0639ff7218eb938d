from tests.support import run_detector

SERVICES = """
apiVersion: v1
kind: Service
metadata: {name: api-v2, namespace: shop}
spec: {selector: {app: api-v2}, ports: [{port: 80}]}
---
"""


def test_mirror_is_reported_for_the_receiving_service() -> None:
    text = SERVICES + """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec:
  hosts: [api]
  http:
  - route: [{destination: {host: api}}]
    mirrors: [{destination: {host: api-v2}}]
"""
    hits = run_detector("mirror_routes", text)
    assert [str(h.resource) for h in hits] == ["VirtualService shop/api"]
    assert [str(s) for s in hits[0].services or ()] == ["shop/api-v2"]


def test_route_without_mirror_is_not_reported() -> None:
    text = SERVICES + """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec:
  hosts: [api]
  http: [{route: [{destination: {host: api}}]}]
"""
    assert run_detector("mirror_routes", text) == []
