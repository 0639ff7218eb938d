"""Pods that opt in to sidecar injection by their own label, in a namespace that does not.

Reports every workload whose pod template carries the label
``sidecar.istio.io/inject: "true"`` while its namespace has neither an
``istio-injection`` nor an ``istio.io/rev`` label, and that has no ``istio-proxy``
container yet (workloads whose Namespace object is not in the snapshot are
skipped: its labels are unknown). The injector's webhooks used to select only labelled namespaces, so
such pods were left alone; once the webhooks also select on the pod label, they are
injected on their next restart. Each hit is scoped to the services selecting the workload.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.injection import proxy_container

PARAMETERS: Parameters = {}

POD_INJECT_LABEL = "sidecar.istio.io/inject"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    for workload in snapshot.workloads:
        if snapshot.get("Namespace", "", workload.namespace) is None:
            continue  # without the Namespace object its labels are unknown
        namespace_labels = snapshot.namespace_labels.get(workload.namespace, {})
        if "istio-injection" in namespace_labels or "istio.io/rev" in namespace_labels:
            continue
        if workload.pod_labels.get(POD_INJECT_LABEL, "").strip().lower() != "true":
            continue
        if proxy_container(workload) is not None:
            continue
        yield Hit(
            workload.ref,
            f"{workload.ref} is labelled {POD_INJECT_LABEL}=true in namespace {workload.namespace}, "
            "which has no injection label: it gets a sidecar on its next restart",
            services=snapshot.services_of_workload(workload),
        )
