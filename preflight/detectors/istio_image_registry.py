"""Istio images pulled from given registries.

Reports every workload with a container or init container whose image starts with one
of ``registries`` (Istio components, gateways and injected proxies alike), and every
HelmValues or IstioOperator whose ``hub`` (``global.hub``, ``hub``, ``spec.hub``) names one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list
from preflight.istio.install_values import install_values
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {
    "registries": text_list("image prefixes, e.g. gcr.io/istio-release", required=True),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    registries = tuple(str(r).rstrip("/") + "/" for r in params.get("registries") or [])
    snapshot = context.snapshot
    for workload in snapshot.workloads:
        images = sorted(
            {
                str(c.get("image"))
                for key in ("containers", "initContainers")
                for c in list_at(workload.pod_spec, key)
                if isinstance(c, Mapping) and str(c.get("image", "")).startswith(registries)
            }
        )
        if images:
            yield Hit(workload.ref, f"{workload.ref} pulls {', '.join(images)}")
    for value in install_values(snapshot, ("global.hub", "hub")):
        if f"{value.value}/".startswith(registries):
            yield Hit(value.source.ref, f"{value.source.ref} sets {value.key}={value.value}")
    for operator in snapshot.of_kind("IstioOperator"):
        hub = operator.spec.get("hub")
        if hub and f"{hub}/".startswith(registries):
            yield Hit(operator.ref, f"{operator.ref} sets spec.hub={hub}")
