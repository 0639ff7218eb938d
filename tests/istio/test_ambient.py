"""Ambient mode: enrolment, node components, waypoints and their services.

Upstream: istio-cni's default ``ambient.enablementSelectors`` and ``CompiledEnablementSelectors.Matches``
(host-network and sidecar pods are never captured); ``pilot/pkg/serviceregistry/ambient/waypoints.go``
(``GetUseWaypoint``, ``fetchWaypointForService``) for ``istio.io/use-waypoint`` bindings.
"""

from __future__ import annotations

from preflight.istio.ambient import (
    ambient_in_use,
    ambient_namespaces,
    ambient_workloads,
    cni_daemonsets,
    services_using_waypoint,
    waypoints,
    ztunnel_daemonsets,
)
from preflight.snapshot.model import Snapshot
from tests.support import snapshot_from_yaml


def _deployment(name: str, namespace: str, labels: str = "{}", pod_spec: str = "{containers: [{name: app}]}") -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec: {{template: {{metadata: {{labels: {labels}}}, spec: {pod_spec}}}}}
"""


def _namespace(name: str, labels: str = "{}") -> str:
    return f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {name}, labels: {labels}}}
"""


def _snapshot(*documents: str) -> Snapshot:
    return snapshot_from_yaml("---".join(documents))


def _names(snapshot: Snapshot) -> list[str]:
    return sorted(w.obj.name for w in ambient_workloads(snapshot))


def test_namespace_label_enrols_its_pods_and_pod_none_opts_out() -> None:
    snapshot = _snapshot(
        _namespace("shop", "{istio.io/dataplane-mode: ambient}"),
        _deployment("web", "shop"),
        _deployment("legacy", "shop", "{istio.io/dataplane-mode: none}"),
    )
    assert [ns.name for ns in ambient_namespaces(snapshot)] == ["shop"]
    assert _names(snapshot) == ["web"]


def test_other_namespace_label_values_do_not_enrol() -> None:
    snapshot = _snapshot(_namespace("shop", "{istio.io/dataplane-mode: sidecar}"), _deployment("web", "shop"))
    assert ambient_namespaces(snapshot) == []
    assert _names(snapshot) == []
    assert not ambient_in_use(snapshot)


def test_pod_label_enrols_a_pod_in_an_unlabelled_namespace() -> None:
    snapshot = _snapshot(
        _namespace("shop"),
        _deployment("web", "shop", "{istio.io/dataplane-mode: ambient}"),
        _deployment("api", "shop"),
    )
    assert _names(snapshot) == ["web"]
    assert ambient_in_use(snapshot)


def test_pods_with_a_sidecar_are_not_captured() -> None:
    snapshot = _snapshot(
        _namespace("shop", "{istio.io/dataplane-mode: ambient}"),
        _deployment("web", "shop", pod_spec="{containers: [{name: web}, {name: istio-proxy}]}"),
        _namespace("injected", "{istio-injection: enabled}"),
        _deployment("api", "injected", "{istio.io/dataplane-mode: ambient}"),
    )
    assert _names(snapshot) == []


def test_host_network_pods_are_never_captured() -> None:
    snapshot = _snapshot(
        _namespace("shop", "{istio.io/dataplane-mode: ambient}"),
        _deployment("agent", "shop", pod_spec="{hostNetwork: true, containers: [{name: agent}]}"),
        _deployment("labelled", "other", "{istio.io/dataplane-mode: ambient}", "{hostNetwork: true, containers: []}"),
        _deployment("web", "shop", pod_spec="{hostNetwork: false, containers: [{name: web}]}"),
    )
    assert _names(snapshot) == ["web"]


def _daemonset(name: str, labels: str = "{}", image: str = "example/agent:1") -> str:
    return f"""
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: {name}, namespace: istio-system}}
spec: {{template: {{metadata: {{labels: {labels}}}, spec: {{containers: [{{name: c, image: "{image}"}}]}}}}}}
"""


def test_ztunnel_is_recognised_by_label_or_image() -> None:
    snapshot = _snapshot(
        _daemonset("by-label", "{app: ztunnel}"),
        _daemonset("by-image", image="docker.io/istio/ztunnel:1.22.0"),
        _daemonset("bare-image", image="ztunnel:1.22.0"),
        _daemonset("other", "{app: fluentd}", "docker.io/fluent/fluentd:1"),
    )
    assert ambient_in_use(snapshot)
    assert sorted(d.name for d in ztunnel_daemonsets(snapshot)) == ["bare-image", "by-image", "by-label"]


def test_cni_node_agent_is_recognised_by_label_image_or_name() -> None:
    snapshot = _snapshot(
        _daemonset("cni", "{k8s-app: istio-cni-node}"),
        _daemonset("installer", image="gcr.io/istio-release/install-cni:1.22.0"),
        _daemonset("istio-cni-node"),
        _daemonset("calico-node", "{k8s-app: calico-node}", "calico/cni:v3"),
    )
    assert sorted(d.name for d in cni_daemonsets(snapshot)) == ["cni", "installer", "istio-cni-node"]


def _waypoint(name: str, namespace: str, labels: str = "{}", api: str = "gateway.networking.k8s.io/v1") -> str:
    return f"""
apiVersion: {api}
kind: Gateway
metadata: {{name: {name}, namespace: {namespace}, labels: {labels}}}
spec: {{gatewayClassName: istio-waypoint}}
"""


def _service(name: str, namespace: str, labels: str = "{}") -> str:
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}, labels: {labels}}}
spec: {{selector: {{app: {name}}}}}
"""


def test_waypoints_are_gateway_api_gateways_of_the_waypoint_class() -> None:
    snapshot = _snapshot(
        _waypoint("waypoint", "shop"),
        _waypoint("istio-gateway", "shop", api="networking.istio.io/v1"),
        """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: shop}
spec: {gatewayClassName: istio}
""",
    )
    assert [g.name for g in waypoints(snapshot)] == ["waypoint"]


def _bound(snapshot: Snapshot, name: str, namespace: str) -> list[str]:
    waypoint = snapshot.get("Gateway", namespace, name)
    assert waypoint is not None
    return [str(s) for s in services_using_waypoint(snapshot, waypoint)]


def test_service_label_binds_and_overrides_the_namespace_label() -> None:
    snapshot = _snapshot(
        _namespace("shop", "{istio.io/use-waypoint: shared}"),
        _waypoint("shared", "shop"),
        _waypoint("own", "shop"),
        _service("cart", "shop"),
        _service("payments", "shop", "{istio.io/use-waypoint: own}"),
        _service("legacy", "shop", "{istio.io/use-waypoint: none}"),
    )
    assert _bound(snapshot, "shared", "shop") == ["shop/cart"]
    assert _bound(snapshot, "own", "shop") == ["shop/payments"]


def test_waypoint_namespace_label_is_read_from_the_level_that_binds() -> None:
    snapshot = _snapshot(
        _namespace("shop", "{istio.io/use-waypoint: central, istio.io/use-waypoint-namespace: mesh}"),
        _namespace("mesh"),
        _waypoint("central", "mesh"),
        _waypoint("central", "shop"),
        _service("cart", "shop"),
        # The namespace override on the service alone does not move the namespace's binding.
        _service("orders", "shop", "{istio.io/use-waypoint-namespace: elsewhere}"),
        _service("payments", "shop", "{istio.io/use-waypoint: central}"),
    )
    assert _bound(snapshot, "central", "mesh") == ["shop/cart", "shop/orders"]
    assert _bound(snapshot, "central", "shop") == ["shop/payments"]


def test_waypoint_for_workload_traffic_takes_no_services() -> None:
    snapshot = _snapshot(
        _namespace("shop", "{istio.io/use-waypoint: wl}"),
        _waypoint("wl", "shop", "{istio.io/waypoint-for: workload}"),
        _waypoint("all", "shop", "{istio.io/waypoint-for: all}"),
        _service("cart", "shop"),
        _service("payments", "shop", "{istio.io/use-waypoint: all}"),
    )
    assert _bound(snapshot, "wl", "shop") == []
    assert _bound(snapshot, "all", "shop") == ["shop/payments"]
