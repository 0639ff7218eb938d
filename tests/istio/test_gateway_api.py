"""Gateway API CRDs and the services a Gateway API object touches (gateway-api ParentReference/BackendRef defaults)."""

from __future__ import annotations

from preflight.istio.gateway_api import gateway_api_crds, gateway_api_objects, services_of_gateway_api_object
from preflight.snapshot.model import Snapshot
from tests.support import snapshot_from_yaml

CRDS = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: httproutes.gateway.networking.k8s.io
  annotations: {gateway.networking.k8s.io/bundle-version: v1.2.0, gateway.networking.k8s.io/channel: standard}
spec:
  group: gateway.networking.k8s.io
  names: {kind: HTTPRoute}
  versions: [{name: v1, served: true}, {name: v1beta1, served: "true"}, {name: v1alpha2, served: false}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gateways.example.com}
spec: {group: example.com, names: {kind: Gateway}, versions: [{name: v1, served: true}]}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: nameless.gateway.networking.k8s.io}
spec: {group: gateway.networking.k8s.io, names: {}, versions: [{name: v1, served: true}]}
"""


def test_crds_of_the_gateway_api_group_by_kind_with_served_versions() -> None:
    crds = gateway_api_crds(snapshot_from_yaml(CRDS))
    assert list(crds) == ["HTTPRoute"]
    route = crds["HTTPRoute"]
    # ``served`` is a boolean field: the string "true" does not serve.
    assert route.served == ("v1",)
    assert (route.bundle_version, route.channel) == ("v1.2.0", "standard")


MESH = """
apiVersion: v1
kind: Service
metadata: {name: public-istio, namespace: edge}
spec: {selector: {gateway.networking.k8s.io/gateway-name: public}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: public-istio, namespace: edge}
spec:
  template:
    metadata: {labels: {gateway.networking.k8s.io/gateway-name: public}}
    spec: {containers: [{name: istio-proxy}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: edge}
spec: {gatewayClassName: istio}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}}
---
apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: billing}
spec: {selector: {app: ledger}}
"""


def _services(route: str) -> list[str]:
    snapshot: Snapshot = snapshot_from_yaml(MESH + "---\n" + route)
    obj = next(o for o in gateway_api_objects(snapshot) if o.name == "route")
    return [str(s) for s in services_of_gateway_api_object(snapshot, obj)]


def test_gateway_api_objects_are_those_of_the_group() -> None:
    snapshot = snapshot_from_yaml(MESH)
    assert [o.kind for o in gateway_api_objects(snapshot)] == ["Gateway"]


def test_a_gateway_touches_the_services_of_its_deployment() -> None:
    snapshot = snapshot_from_yaml(MESH)
    gateway = snapshot.of_kind("Gateway")[0]
    assert [str(s) for s in services_of_gateway_api_object(snapshot, gateway)] == ["edge/public-istio"]


def test_route_parent_gateway_and_backends_with_defaults() -> None:
    route = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: edge}]
  rules:
  - backendRefs: [{name: web, port: 80}, {name: ledger, namespace: billing, port: 80}]
"""
    assert _services(route) == ["billing/ledger", "edge/public-istio", "shop/web"]


def test_parent_gateway_namespace_defaults_to_the_route_namespace() -> None:
    route = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route, namespace: shop}
spec: {parentRefs: [{name: public}]}
"""
    assert _services(route) == []


def test_service_parent_is_mesh_routing_for_that_service() -> None:
    route = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route, namespace: shop}
spec:
  parentRefs: [{kind: Service, group: "", name: api}]
  rules: [{backendRefs: [{name: web}]}]
"""
    assert _services(route) == ["shop/api", "shop/web"]


def test_backends_of_other_kinds_and_unknown_services_are_not_services() -> None:
    route = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: edge, group: example.com}, "junk"]
  rules:
  - backendRefs:
    - {name: web, kind: ServiceImport, group: multicluster.x-k8s.io}
    - {name: api, kind: Service, group: example.com}
    - {name: missing}
    - {port: 80}
    - "junk"
"""
    assert _services(route) == []
