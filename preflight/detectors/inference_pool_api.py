"""InferencePools written for an InferencePool API version Istio no longer reads.

Reports InferencePools of the experimental group ``inference.networking.x-k8s.io``
(v1alpha2), and ``inference.networking.k8s.io/v1`` pools written to the v1.0.0-rc.1
shape: an ``endpointPickerRef.portNumber`` field, or an ``endpointPickerRef`` of kind
Service (or no kind) without ``port`` (port 9002 is no longer assumed). HTTPRoutes whose
backend is such a pool stop routing to it; the hit is scoped to the pool's routes' services.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import mapping_at

PARAMETERS: Parameters = {}

EXPERIMENTAL_GROUP = "inference.networking.x-k8s.io/"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    for pool in context.snapshot.of_kind("InferencePool"):
        where = f"InferencePool {pool.namespace}/{pool.name}"
        if pool.ref.api_version.startswith(EXPERIMENTAL_GROUP):
            yield Hit(pool.ref, f"{where} uses the removed {pool.ref.api_version} API; rewrite it as v1")
            continue
        picker = mapping_at(pool.spec, "endpointPickerRef")
        if not picker:
            continue
        if "portNumber" in picker:
            yield Hit(pool.ref, f"{where} sets endpointPickerRef.portNumber, replaced by port.number in v1")
        elif str(picker.get("kind") or "Service") == "Service" and not mapping_at(picker, "port"):
            yield Hit(pool.ref, f"{where} has no endpointPickerRef.port; port 9002 is no longer assumed")
