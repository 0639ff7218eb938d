"""Workloads and objects that carry one of the named annotations.

Looks at the pod-template annotations of every workload (Deployment, StatefulSet,
DaemonSet, Job, CronJob, bare Pod) and at the metadata annotations of every other
object. Use it for an annotation that is removed, renamed or changes meaning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list
from preflight.snapshot.interface import WORKLOAD_KINDS

PARAMETERS: Parameters = {
    "annotations": text_list("annotation keys to look for", required=True),
    "values": text_list("only count an annotation set to one of these values; omit for any value"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    keys = [str(k) for k in params.get("annotations") or []]
    wanted = {str(v) for v in params.get("values") or []}
    snapshot = context.snapshot

    def matching(annotations: Mapping[str, str]) -> list[str]:
        return [f"{k}={annotations[k]}" for k in keys if k in annotations and (not wanted or annotations[k] in wanted)]

    for workload in snapshot.workloads:
        found = matching(workload.pod_annotations)
        if found:
            yield Hit(workload.ref, f"{workload.ref} pod template sets {', '.join(found)}")
    for obj in snapshot.annotated_with(keys):
        if obj.kind in WORKLOAD_KINDS:
            continue
        found = matching(obj.annotations)
        if found:
            yield Hit(obj.ref, f"{obj.ref} is annotated {', '.join(found)}")
