"""Counting injected pods and adding up what their sidecars reserve.

Rows are workloads in sidecar mode (gateways included: they run istio-proxy too).
Pods are counted from the snapshot's Pod objects that carry istio-proxy and match the
workload's pod labels; a snapshot without pods (GitOps manifests) falls back to the
spec's replicas. Resources come from a running pod when there is one, else from what
the injector would write (``preflight.istio.sidecar_resources``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from preflight.engine.interface import Finding, Report
from preflight.footprint.interface import FootprintChange, MeshFootprint, WorkloadFootprint
from preflight.istio.cluster import Cluster
from preflight.istio.injection import proxy_container
from preflight.istio.revisions import injected_revision
from preflight.istio.selectors import matches_labels
from preflight.istio.sidecar_resources import installed_proxy_resources, proxy_resources
from preflight.kb.interface import KBEntry
from preflight.snapshot.interface import ObjectRef, Workload
from preflight.snapshot.model import Snapshot

# Labels a controller adds to its pods that are not in the template.
_CONTROLLER_LABELS = frozenset({"pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name"})
_NATIVE_SIDECAR_DETECTOR = "native_sidecar_injection"


def mesh_footprint(cluster: Cluster, report: Report) -> MeshFootprint:
    snapshot = cluster.snapshot
    installed = installed_proxy_resources(snapshot)
    injected_pods = _PodIndex(p for p in snapshot.pods if proxy_container(p) is not None)
    rows: list[WorkloadFootprint] = []
    for workload in snapshot.workloads:
        mesh = cluster.membership(workload)
        if mesh.mode != "sidecar":
            continue
        pods = [workload] if workload.ref.kind == "Pod" else injected_pods.of(workload)
        sample = pods[0] if pods else workload
        resources = proxy_resources(sample, installed)
        proxy = proxy_container(sample)
        rows.append(
            WorkloadFootprint(
                workload=workload.ref,
                revision=injected_revision(sample) or mesh.revision,
                pods=len(pods) if pods else _replicas(workload, snapshot),
                pods_source="pods" if pods else "replicas",
                cpu_request=resources.cpu_request,
                memory_request=resources.memory_request,
                cpu_limit=resources.cpu_limit,
                memory_limit=resources.memory_limit,
                resources_source=resources.source,
                native_sidecar=proxy is not None and _is_init_container(sample),
            )
        )
    return MeshFootprint(tuple(rows), tuple(_changes(report, rows)))


class _PodIndex:
    """Injected pods by namespace and label, so finding a workload's pods reads only pods sharing a label."""

    def __init__(self, pods: Iterable[Workload]) -> None:
        self._by_label: dict[tuple[str, str, str], list[Workload]] = defaultdict(list)
        for pod in pods:
            for key, value in pod.pod_labels.items():
                self._by_label[(pod.namespace, key, value)].append(pod)

    def of(self, workload: Workload) -> list[Workload]:
        """Pods in the workload's namespace carrying every label of its template (controller labels aside)."""
        template = {k: v for k, v in workload.pod_labels.items() if k not in _CONTROLLER_LABELS}
        if not template:
            return []
        # Every match carries each template label, so the rarest one bounds the candidates.
        candidates = min(
            (self._by_label.get((workload.namespace, k, v), []) for k, v in template.items()), key=len
        )
        return [p for p in candidates if matches_labels(template, p.pod_labels)]


def _replicas(workload: Workload, snapshot: Snapshot) -> int:
    spec = workload.obj.spec
    kind = workload.ref.kind
    if kind == "DaemonSet":
        return max(1, len(snapshot.of_kind("Node")))  # one per node; unknown node count counts one
    if kind in ("Job", "CronJob"):
        value = spec.get("parallelism", 1) if kind == "Job" else 1
    else:
        value = spec.get("replicas", 1)
    return value if isinstance(value, int) and value >= 0 else 1


def _is_init_container(workload: Workload) -> bool:
    init = workload.pod_spec.get("initContainers")
    return isinstance(init, list) and any(isinstance(c, dict) and c.get("name") == "istio-proxy" for c in init)


def _changes(report: Report, rows: list[WorkloadFootprint]) -> Iterable[FootprintChange]:
    by_workload = {row.workload: row for row in rows}
    for outcome in report.changes:
        entry = outcome.entry
        if entry.detector is None or entry.detector.name != _NATIVE_SIDECAR_DETECTOR:
            continue
        findings = [f for f in report.findings if f.change == entry.id]
        if findings:
            yield _native_sidecars(entry, findings, by_workload)


def _native_sidecars(
    entry: KBEntry, findings: list[Finding], rows: dict[ObjectRef, WorkloadFootprint]
) -> FootprintChange:
    moved = sorted({f.resource for f in findings if f.resource in rows and f.status.value == "affected"})
    pods = sum(rows[ref].pods for ref in moved)
    # A restartable init container's requests are added to the app containers' as before,
    # so the pod reserves the same; what changes is start and stop order.
    effect = (
        "istio-proxy moves to the init containers with restartPolicy Always. Kubernetes adds a native "
        "sidecar's requests to the app containers' exactly as before, so the reserved CPU and memory do not "
        "change; the proxy now starts before and stops after the app, and Jobs complete without quitting it."
    )
    return FootprintChange(entry.id, entry.title, tuple(moved), pods, effect, Decimal(0), Decimal(0))
