"""The indexed snapshot: objects by kind and name, services joined to their workloads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property

from preflight.istio.selectors import LabelIndex
from preflight.snapshot.interface import (
    WORKLOAD_KINDS,
    K8sObject,
    ObjectRef,
    ServiceRef,
    SnapshotInfo,
    Workload,
    mapping_at,
    string_map,
)

# Controllers whose pods are already represented by their owner's template.
_OWNED_BY_TEMPLATE = {
    "ReplicaSet": {"Deployment"},
    "Pod": {"ReplicaSet", "StatefulSet", "DaemonSet", "Job"},
    "Job": {"CronJob"},
}


class Snapshot:
    """Every object of the export, indexed once; later stages only read it."""

    def __init__(self, objects: Iterable[K8sObject], info: SnapshotInfo | None = None) -> None:
        self.info = info or SnapshotInfo()
        self._by_key: dict[tuple[str, str, str], K8sObject] = {}
        for obj in objects:
            # The last definition of the same object wins, as with ``kubectl apply``.
            self._by_key[(obj.kind, obj.namespace, obj.name)] = obj
        self.objects: tuple[K8sObject, ...] = tuple(
            sorted(self._by_key.values(), key=lambda o: (o.kind, o.namespace, o.name))
        )
        self._by_kind: dict[str, list[K8sObject]] = defaultdict(list)
        for obj in self.objects:
            self._by_kind[obj.kind].append(obj)

    def __len__(self) -> int:
        return len(self.objects)

    def of_kind(self, *kinds: str) -> list[K8sObject]:
        if len(kinds) == 1:
            return self._by_kind.get(kinds[0], [])
        found: list[K8sObject] = []
        for kind in kinds:
            found.extend(self._by_kind.get(kind, []))
        return found

    def get(self, kind: str, namespace: str, name: str) -> K8sObject | None:
        return self._by_key.get((kind, namespace, name))

    def kinds(self) -> dict[str, int]:
        return {kind: len(objs) for kind, objs in sorted(self._by_kind.items())}

    # Namespaces ------------------------------------------------------------------

    @cached_property
    def namespace_labels(self) -> Mapping[str, Mapping[str, str]]:
        """Labels of every namespace the snapshot mentions (empty when its object is absent)."""
        labels: dict[str, Mapping[str, str]] = {}
        for obj in self.objects:
            if obj.namespace:
                labels.setdefault(obj.namespace, {})
        for ns in self.of_kind("Namespace"):
            labels[ns.name] = ns.labels
        return dict(sorted(labels.items()))

    @property
    def namespaces(self) -> list[str]:
        return list(self.namespace_labels)

    # Services and workloads ---------------------------------------------------------

    @cached_property
    def services(self) -> Mapping[ServiceRef, K8sObject]:
        return {ServiceRef(o.namespace, o.name): o for o in self.of_kind("Service")}

    @cached_property
    def services_by_namespace(self) -> Mapping[str, list[ServiceRef]]:
        grouped: dict[str, list[ServiceRef]] = defaultdict(list)
        for ref in self.services:
            grouped[ref.namespace].append(ref)
        return grouped

    @cached_property
    def workloads(self) -> tuple[Workload, ...]:
        present = {(o.kind, o.namespace, o.name) for o in self.of_kind(*WORKLOAD_KINDS)}
        found: list[Workload] = []
        for obj in self.of_kind(*WORKLOAD_KINDS):
            if _owned_by_present_controller(obj, present):
                continue
            workload = workload_of(obj)
            if workload is not None:
                found.append(workload)
        return tuple(found)

    @cached_property
    def pods(self) -> tuple[Workload, ...]:
        """Every Pod object as exported (proxy versions are read per pod)."""
        return tuple(w for w in (workload_of(o) for o in self.of_kind("Pod")) if w is not None)

    @cached_property
    def _workload_index(self) -> Mapping[str, LabelIndex[Workload]]:
        return _label_indexes(self.workloads)

    def workloads_in(self, namespace: str, match_labels: Mapping[str, str] | None = None) -> list[Workload]:
        """Workloads of a namespace whose pod labels include ``match_labels`` (all when ``None``)."""
        index = self._workload_index.get(namespace)
        if index is None:
            return []
        return index.select(match_labels or {})

    def workloads_of_service(self, service: ServiceRef) -> list[Workload]:
        obj = self.services.get(service)
        if obj is None:
            return []
        selector = string_map(obj.spec.get("selector"))
        if not selector:
            return []  # a selector-less Service selects no pods
        return self.workloads_in(service.namespace, selector)

    @cached_property
    def _services_of_workload(self) -> Mapping[ObjectRef, tuple[ServiceRef, ...]]:
        return self._selected_by_services(self._workload_index)

    def services_of_workload(self, workload: Workload) -> tuple[ServiceRef, ...]:
        return self._services_of_workload.get(workload.ref, ())

    @cached_property
    def _services_of_pod(self) -> Mapping[ObjectRef, tuple[ServiceRef, ...]]:
        return self._selected_by_services(_label_indexes(self.pods))

    def _selected_by_services(
        self, indexes: Mapping[str, LabelIndex[Workload]]
    ) -> Mapping[ObjectRef, tuple[ServiceRef, ...]]:
        """For each indexed workload or pod, the Services whose selector picks it, sorted."""
        joined: dict[ObjectRef, list[ServiceRef]] = defaultdict(list)
        for service, obj in self.services.items():
            index = indexes.get(service.namespace)
            selector = string_map(obj.spec.get("selector"))
            if index is None or not selector:
                continue  # a selector-less Service selects no pods
            for selected in index.select(selector):
                joined[selected.ref].append(service)
        return {ref: tuple(sorted(services)) for ref, services in joined.items()}

    def services_of_pod(self, pod: Workload) -> tuple[ServiceRef, ...]:
        """The Services whose selector picks this exported Pod (of ``pods``), sorted."""
        return self._services_of_pod.get(pod.ref, ())

    @cached_property
    def _annotated(self) -> Mapping[str, tuple[int, ...]]:
        positions: dict[str, list[int]] = defaultdict(list)
        for position, obj in enumerate(self.objects):
            for key in obj.annotations:
                positions[key].append(position)
        return {key: tuple(found) for key, found in positions.items()}

    def annotated_with(self, keys: Iterable[str]) -> list[K8sObject]:
        """Objects (of ``objects``, in its order) whose own annotations hold any of ``keys``."""
        positions = sorted({position for key in keys for position in self._annotated.get(key, ())})
        return [self.objects[position] for position in positions]

    def objects_in(self, kind: str, namespace: str) -> Iterator[K8sObject]:
        return (o for o in self.of_kind(kind) if o.namespace == namespace)


def workload_of(obj: K8sObject) -> Workload | None:
    """The pod template of a controller (CronJob: its job template), or a Pod itself."""
    if obj.kind == "Pod":
        return Workload(obj, obj.labels, obj.annotations, obj.spec)
    spec = obj.spec
    if obj.kind == "CronJob":
        spec = mapping_at(mapping_at(spec, "jobTemplate"), "spec")
    template = mapping_at(spec, "template")
    if not template:
        return None
    template_meta = mapping_at(template, "metadata")
    return Workload(
        obj,
        string_map(template_meta.get("labels")),
        string_map(template_meta.get("annotations")),
        mapping_at(template, "spec"),
    )


def _owned_by_present_controller(obj: K8sObject, present: set[tuple[str, str, str]]) -> bool:
    owners = obj.metadata.get("ownerReferences")
    if not isinstance(owners, list):
        return False
    owner_kinds = _OWNED_BY_TEMPLATE.get(obj.kind, set())
    for owner in owners:
        if not isinstance(owner, Mapping):
            continue
        kind = str(owner.get("kind", ""))
        if kind in owner_kinds and (kind, obj.namespace, str(owner.get("name", ""))) in present:
            return True
        # A ReplicaSet's pods are owned by the Deployment through the ReplicaSet; the
        # ReplicaSet may have been left out of the export while its Deployment is in it.
        if kind == "ReplicaSet" and _deployment_of_replicaset(str(owner.get("name", "")), obj, present):
            return True
    return False


def _deployment_of_replicaset(replicaset: str, obj: K8sObject, present: set[tuple[str, str, str]]) -> bool:
    """Deployments name their ReplicaSets ``<deployment>-<pod-template-hash>``."""
    hash_label = obj.labels.get("pod-template-hash")
    if hash_label and replicaset.endswith("-" + hash_label):
        deployment = replicaset[: -len(hash_label) - 1]
    elif "-" in replicaset:
        # An export that dropped the label (or a hand-written one) still follows the naming.
        deployment = replicaset.rsplit("-", 1)[0]
    else:
        return False
    return ("Deployment", obj.namespace, deployment) in present


def _label_indexes(workloads: Iterable[Workload]) -> Mapping[str, LabelIndex[Workload]]:
    """Workloads (or pods) by namespace, each namespace's indexed by pod labels for selector look-ups."""
    grouped: dict[str, list[Workload]] = defaultdict(list)
    for workload in workloads:
        grouped[workload.namespace].append(workload)
    return {ns: LabelIndex((w, w.pod_labels) for w in items) for ns, items in grouped.items()}
