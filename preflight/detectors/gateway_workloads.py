"""Gateway proxies: Istio ingress/egress gateways and Gateway API gateway deployments.

A workload is a gateway when its pods carry ``istio: ingressgateway`` /
``istio: egressgateway``, the Gateway API label ``gateway.networking.k8s.io/gateway-name``
(waypoints excluded), or the injection template annotation ``inject.istio.io/templates:
gateway``. Each hit is scoped to the services selecting the gateway pods.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text

PARAMETERS: Parameters = {
    "reason": text("what changes for each gateway", default="its gateway proxy takes the new default"),
}

_GATEWAY_NAME = "gateway.networking.k8s.io/gateway-name"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    reason = str(params.get("reason") or "its gateway proxy takes the new default")
    snapshot = context.snapshot
    for workload in snapshot.workloads:
        labels, annotations = workload.pod_labels, workload.pod_annotations
        is_waypoint = labels.get("gateway.istio.io/managed") == "istio.io-mesh-controller"
        if (
            labels.get("istio") in ("ingressgateway", "egressgateway")
            or (_GATEWAY_NAME in labels and not is_waypoint)
            or annotations.get("inject.istio.io/templates") == "gateway"
        ):
            yield Hit(
                workload.ref,
                f"gateway {workload.ref}: {reason}",
                source=workload.obj.source,
                services=snapshot.services_of_workload(workload) or None,
            )
