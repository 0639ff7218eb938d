"""Edge-list callers named by their Service."""

from __future__ import annotations

from preflight.traffic.interface import Destination, Edge, Origin, Source, TrafficData
from preflight.traffic.resolve import resolve_service_sources
from tests.support import snapshot_from_yaml

CLUSTER = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart-v1, namespace: shop}
spec:
  template:
    metadata: {labels: {app: cart, version: v1}}
    spec: {serviceAccountName: cart, containers: [{name: cart}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart-v2, namespace: shop}
spec:
  template:
    metadata: {labels: {app: cart, version: v2}}
    spec: {serviceAccountName: cart, containers: [{name: cart}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {selector: {app: cart}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: frontend, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
"""


def _edge(source: str, requests: int = 10, origin: Origin = Origin.EDGE_LIST) -> Edge:
    namespace, workload = source.split("/")
    return Edge(Source(namespace, workload), Destination("pay", "api", service_port=80), "http", requests,
                origin=origin)


def test_a_service_named_as_caller_becomes_its_workloads_with_the_requests_shared_out() -> None:
    snapshot = snapshot_from_yaml(CLUSTER)
    traffic = resolve_service_sources(TrafficData(edges=(_edge("shop/cart", 11), _edge("shop/frontend"))), snapshot)
    callers = {(e.source.workload, e.requests) for e in traffic.edges}
    assert callers == {("cart-v1", 6), ("cart-v2", 5), ("web", 10)}
    assert any("shop/cart is a Service: its 2 workloads (shop/cart-v1, shop/cart-v2)" in n for n in traffic.notes)
    assert any("shop/frontend is a Service: its workload shop/web is the caller" in n.replace("is taken as", "is")
               for n in traffic.notes)


def test_workloads_unknown_names_and_other_origins_are_left_alone() -> None:
    snapshot = snapshot_from_yaml(CLUSTER)
    edges = (_edge("shop/web"), _edge("shop/ghost"), _edge("shop/cart", origin=Origin.PROMETHEUS))
    traffic = TrafficData(edges=edges)
    assert resolve_service_sources(traffic, snapshot) is traffic
