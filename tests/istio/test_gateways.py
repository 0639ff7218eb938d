"""Gateway proxies and managed Gateway API gateways.

Upstream: ``pilot/pkg/config/kube/gatewaycommon/gateway_utils.go`` ``IsManaged`` for deployment;
istio's gateway charts and injection templates for the proxy labels.
"""

from __future__ import annotations

import pytest

from preflight.istio.gateways import gateway_workloads, is_gateway_workload, is_managed_gateway
from preflight.snapshot.interface import K8sObject, Workload
from tests.support import snapshot_from_yaml


def _workload(labels: str = "{}", annotations: str = "{}", containers: str = "[{name: app}]") -> Workload:
    snapshot = snapshot_from_yaml(
        f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: proxy, namespace: edge}}
        spec:
          template:
            metadata: {{labels: {labels}, annotations: {annotations}}}
            spec: {{containers: {containers}}}
        """
    )
    return snapshot.workloads[0]


@pytest.mark.parametrize(
    "labels",
    [
        "{istio: ingressgateway}",
        "{istio: egressgateway}",
        "{gateway.networking.k8s.io/gateway-name: public}",
        "{istio.io/gateway-name: public}",
    ],
)
def test_gateway_labels_make_a_gateway_proxy(labels: str) -> None:
    assert is_gateway_workload(_workload(labels=labels))


def test_gateway_injection_template_makes_a_gateway_proxy() -> None:
    assert is_gateway_workload(_workload(annotations='{inject.istio.io/templates: "gateway"}'))
    assert is_gateway_workload(_workload(annotations='{inject.istio.io/templates: "custom,gateway"}'))
    assert not is_gateway_workload(_workload(annotations='{inject.istio.io/templates: "sidecar"}'))


def test_proxy_router_argument_makes_a_gateway_proxy() -> None:
    router = "[{name: istio-proxy, args: [proxy, router, --domain, x]}]"
    sidecar = "[{name: istio-proxy, args: [proxy, sidecar]}]"
    other_container = "[{name: envoy, args: [proxy, router]}]"
    assert is_gateway_workload(_workload(containers=router))
    assert not is_gateway_workload(_workload(containers=sidecar))
    assert not is_gateway_workload(_workload(containers=other_container))


def test_ordinary_workloads_and_other_istio_label_values_are_not_gateways() -> None:
    assert not is_gateway_workload(_workload())
    assert not is_gateway_workload(_workload(labels="{istio: pilot}"))


def test_waypoints_are_not_gateway_proxies() -> None:
    assert not is_gateway_workload(
        _workload(labels="{gateway.networking.k8s.io/gateway-name: waypoint, istio.io/waypoint-for: service}")
    )
    assert not is_gateway_workload(
        _workload(
            labels="{gateway.networking.k8s.io/gateway-name: waypoint,"
            " gateway.istio.io/managed: istio.io-mesh-controller}"
        )
    )


def test_gateway_workloads_lists_only_gateways() -> None:
    snapshot = snapshot_from_yaml(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: ingress, namespace: edge}
        spec: {template: {metadata: {labels: {istio: ingressgateway}}, spec: {containers: [{name: istio-proxy}]}}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web}]}}}
        """
    )
    assert [w.obj.name for w in gateway_workloads(snapshot)] == ["ingress"]


def _gateway(addresses: str | None) -> K8sObject:
    spec = "{gatewayClassName: istio}" if addresses is None else f"{{gatewayClassName: istio, addresses: {addresses}}}"
    snapshot = snapshot_from_yaml(
        f"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {{name: public, namespace: edge}}
        spec: {spec}
        """
    )
    return snapshot.of_kind("Gateway")[0]


@pytest.mark.parametrize(
    "addresses",
    [None, "[]", "[{value: 10.0.0.1}]", "[{type: IPAddress, value: 10.0.0.1}]"],
)
def test_gateway_without_addresses_or_with_one_ip_is_deployed_by_istio(addresses: str | None) -> None:
    assert is_managed_gateway(_gateway(addresses))


@pytest.mark.parametrize(
    "addresses",
    [
        "[{type: Hostname, value: ingress.edge.svc.cluster.local}]",
        "[{type: NamedAddress, value: reserved-ip}]",
        "[{type: IPAddress, value: 10.0.0.1}, {type: IPAddress, value: 10.0.0.2}]",
    ],
)
def test_hostname_named_or_several_addresses_mean_manual_deployment(addresses: str) -> None:
    # IsManaged: more than one address, or one whose type is not IPAddress, is a manual deployment.
    assert not is_managed_gateway(_gateway(addresses))
