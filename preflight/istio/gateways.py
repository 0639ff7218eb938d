"""Gateway proxies: which workloads run Envoy as a gateway (istiod's ``router`` proxy type).

A workload is a gateway proxy when its pods carry a gateway label Istio sets or its
charts use (``istio=ingressgateway|egressgateway``, ``gateway.networking.k8s.io/gateway-name``,
``istio.io/gateway-name``), when it is injected with the ``gateway`` template
(``inject.istio.io/templates``), or when its istio-proxy container runs ``proxy router``.
Waypoints (Gateway API class ``istio-waypoint``) are excluded: they are not gateways in
this sense. A Gateway API gateway is *managed* when Istio deploys it: when it names no
address, or exactly one of type ``IPAddress`` (the default type). One ``Hostname`` or
``NamedAddress``, or more than one address, means the user deployed it by hand.
"""

from __future__ import annotations

from collections.abc import Mapping

from preflight.istio.injection import PROXY_CONTAINER
from preflight.snapshot.interface import K8sObject, Workload, list_at
from preflight.snapshot.model import Snapshot

GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
WAYPOINT_FOR_LABEL = "istio.io/waypoint-for"
_GATEWAY_LABEL_VALUES = {"ingressgateway", "egressgateway"}


def is_gateway_workload(workload: Workload) -> bool:
    labels = workload.pod_labels
    if WAYPOINT_FOR_LABEL in labels or labels.get("gateway.istio.io/managed") == "istio.io-mesh-controller":
        return False
    if (
        labels.get("istio") in _GATEWAY_LABEL_VALUES
        or GATEWAY_NAME_LABEL in labels
        or "istio.io/gateway-name" in labels
    ):
        return True
    if "gateway" in workload.pod_annotations.get("inject.istio.io/templates", "").split(","):
        return True
    for container in list_at(workload.pod_spec, "containers"):
        if isinstance(container, Mapping) and container.get("name") == PROXY_CONTAINER:
            args = [str(a) for a in list_at(container, "args")]
            if "router" in args:
                return True
    return False


def gateway_workloads(snapshot: Snapshot) -> list[Workload]:
    return [w for w in snapshot.workloads if is_gateway_workload(w)]


def is_managed_gateway(gateway: K8sObject) -> bool:
    """A Gateway API Gateway that Istio deploys itself (no address, or a single IP address)."""
    addresses = list_at(gateway.spec, "addresses")
    if not addresses:
        return True
    if len(addresses) > 1:
        return False
    address = addresses[0]
    return not isinstance(address, Mapping) or address.get("type") in (None, "IPAddress")


ISTIO_GATEWAY_CLASS = "istio"
ISTIO_GATEWAY_CONTROLLER = "istio.io/gateway-controller"


def istio_managed_gateways(snapshot: Snapshot) -> list[K8sObject]:
    """Gateway API Gateways Istio deploys: of class ``istio`` (or of a GatewayClass of Istio's
    gateway controller) and managed by address (``is_managed_gateway``)."""
    classes = {ISTIO_GATEWAY_CLASS} | {
        c.name
        for c in snapshot.of_kind("GatewayClass")
        if c.spec.get("controllerName") == ISTIO_GATEWAY_CONTROLLER
    }
    return [
        g
        for g in snapshot.of_kind("Gateway")
        if g.ref.api_version.startswith("gateway.networking.k8s.io/")
        and g.spec.get("gatewayClassName") in classes
        and is_managed_gateway(g)
    ]
