"""Ambient workloads in namespaces the istio-cni configuration excludes.

From 1.30 the istio-cni node agent honours ``excludeNamespaces`` like the CNI plugin:
ambient pods in an excluded namespace are removed from the mesh and new ones are not
enrolled. Reads the excluded namespaces from install values (``excludeNamespaces`` of the
istio-cni chart, ``cni.excludeNamespaces`` of an IstioOperator); without any, the chart
default ``kube-system`` applies. Reports every ambient-captured workload in such a namespace.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.ambient import ambient_workloads
from preflight.istio.install_values import install_values

PARAMETERS: Parameters = {}

CHART_DEFAULT = ("kube-system",)


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    excluded: set[str] = set()
    for value in install_values(snapshot, ("excludeNamespaces", "cni.excludeNamespaces")):
        if isinstance(value.value, list):
            excluded.update(str(n) for n in value.value)
    if not excluded:
        excluded.update(CHART_DEFAULT)
    for workload in ambient_workloads(snapshot):
        if workload.namespace in excluded:
            yield Hit(
                workload.ref,
                f"{workload.ref} is enrolled in ambient mode but namespace {workload.namespace} is in the istio-cni "
                "excludeNamespaces: the agent now removes it from the mesh",
            )
