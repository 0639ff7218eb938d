"""Istio Gateways merged into a managed Gateway API gateway from another namespace.

A managed Gateway API gateway (deployed by Istio: its pods carry
``gateway.networking.k8s.io/gateway-name``) also picks up Istio ``Gateway`` resources
whose ``selector`` matches its pod labels (or that have no selector), from any
namespace. With ``PILOT_ENABLE_STRICT_GATEWAY_MERGING`` (1.31 default) only Istio Gateways
in the managed gateway's own namespace are merged. Reports each Istio Gateway from
another namespace that selects such pods, scoped to the gateway's services. Nothing is
reported when every istiod revision sets ``PILOT_SCOPE_GATEWAY_TO_NAMESPACE=true``
(cross-namespace selection is then already off).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.gateways import GATEWAY_NAME_LABEL
from preflight.istio.selectors import matches_labels
from preflight.snapshot.interface import string_map

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    revisions = context.control_plane.revisions
    if revisions and all(str(r.env.get("PILOT_SCOPE_GATEWAY_TO_NAMESPACE") or "").lower() == "true" for r in revisions):
        return
    managed = [w for w in snapshot.workloads if GATEWAY_NAME_LABEL in w.pod_labels]
    for gateway in snapshot.of_kind("Gateway"):
        if not gateway.ref.api_version.startswith("networking.istio.io/"):
            continue
        selector = string_map(gateway.spec.get("selector"))
        for workload in managed:
            if workload.namespace == gateway.namespace or not matches_labels(selector, workload.pod_labels):
                continue
            yield Hit(
                gateway.ref,
                f"Istio Gateway {gateway.namespace}/{gateway.name} is merged into managed gateway "
                f"{workload.namespace}/{workload.pod_labels[GATEWAY_NAME_LABEL]} from another namespace; "
                "strict merging drops its servers there",
                services=snapshot.services_of_workload(workload),
            )
