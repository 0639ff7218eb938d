from preflight.istio.cluster import build_cluster
from preflight.snapshot.interface import ServiceRef
from tests.support import snapshot_from_yaml

CLUSTER = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: pay}
spec: {selector: {app: api}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec: {template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pay}
spec: {template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api}]}}}
"""


def resource(api_version: str, kind: str, namespace: str, spec: str = "") -> str:
    return f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: subject, namespace: {namespace}}}\n{spec}\n"


def services(extra: str) -> list[str]:
    snapshot = snapshot_from_yaml(CLUSTER + "---\n" + extra)
    scope = build_cluster(snapshot).scope
    resource = next(o for o in snapshot.objects if o.name == "subject")
    return [str(s) for s in scope.services_for(resource)]


def test_policy_with_a_selector_applies_to_matching_workloads_of_its_namespace() -> None:
    policy = """apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: subject, namespace: shop}
spec: {selector: {matchLabels: {app: api}}}
"""
    assert services(policy) == ["shop/api"]


def test_policy_without_selector_applies_to_its_whole_namespace() -> None:
    policy = resource("security.istio.io/v1", "AuthorizationPolicy", "shop")
    assert services(policy) == ["shop/api", "shop/web"]


def test_policy_in_the_root_namespace_applies_mesh_wide_and_its_selector_in_every_namespace() -> None:
    everywhere = resource("security.istio.io/v1", "PeerAuthentication", "istio-system")
    assert services(everywhere) == ["pay/api", "shop/api", "shop/web"]
    selected = """apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: subject, namespace: istio-system}
spec: {selector: {matchLabels: {app: api}}}
"""
    assert services(selected) == ["pay/api", "shop/api"]


def test_sidecar_selects_with_workload_selector_labels() -> None:
    sidecar = """apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: subject, namespace: shop}
spec: {workloadSelector: {labels: {app: web}}}
"""
    assert services(sidecar) == ["shop/web"]


def test_target_ref_to_a_service_scopes_to_that_service() -> None:
    policy = """apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: subject, namespace: shop}
spec: {targetRefs: [{kind: Service, group: "", name: web}]}
"""
    assert services(policy) == ["shop/web"]


def test_destination_rule_host_short_name_resolves_in_its_namespace() -> None:
    rule = resource("networking.istio.io/v1", "DestinationRule", "pay", "spec: {host: api}")
    assert services(rule) == ["pay/api"]


def test_virtual_service_wildcard_host_names_every_matching_service() -> None:
    route = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: subject, namespace: pay}
spec: {hosts: ["*.shop.svc.cluster.local"]}
"""
    assert services(route) == ["shop/api", "shop/web"]


def test_external_hosts_name_no_service() -> None:
    entry = resource("networking.istio.io/v1", "ServiceEntry", "pay", "spec: {hosts: [api.example.com]}")
    assert services(entry) == []


def test_meshed_services_are_those_with_an_injected_workload() -> None:
    snapshot = snapshot_from_yaml(CLUSTER)
    scope = build_cluster(snapshot).scope
    assert scope.meshed_services == (ServiceRef("shop", "api"), ServiceRef("shop", "web"))
