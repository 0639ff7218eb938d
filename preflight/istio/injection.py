"""Which workloads are in the mesh, and under which revision.

* Namespace label ``istio-injection=enabled`` injects with the default revision;
  ``istio.io/rev=<rev>`` with that revision; when both are present
  ``istio-injection`` wins (istiod's webhooks select on it first) and the conflict is reported.
* Pod label (or legacy annotation) ``sidecar.istio.io/inject=false`` opts out;
  ``=true`` opts in without a namespace label; a pod ``istio.io/rev`` label opts in to that revision.
* A pod spec that already has an ``istio-proxy`` container (or native-sidecar init
  container) is injected whatever the labels say; a ``hostNetwork`` pod never is.
* Namespace label ``istio.io/dataplane-mode=ambient`` puts pods in ambient mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from preflight.snapshot.interface import ObjectRef, Workload, list_at
from preflight.snapshot.model import Snapshot

PROXY_CONTAINER = "istio-proxy"


@dataclass(frozen=True)
class MeshMembership:
    mode: str  # "sidecar", "ambient" or "none"
    revision: str | None  # "default" for the default revision
    reason: str

    @property
    def in_mesh(self) -> bool:
        return self.mode != "none"


def namespace_revision(labels: Mapping[str, str]) -> str | None:
    """The revision a namespace's labels inject, or ``None`` when they do not."""
    injection = labels.get("istio-injection")
    if injection == "enabled":
        return "default"
    if injection == "disabled":
        return None
    return labels.get("istio.io/rev") or None


def has_conflicting_labels(labels: Mapping[str, str]) -> bool:
    return "istio-injection" in labels and "istio.io/rev" in labels


def proxy_container(workload: Workload) -> Mapping[str, object] | None:
    for key in ("containers", "initContainers"):
        for container in list_at(workload.pod_spec, key):
            if isinstance(container, Mapping) and container.get("name") == PROXY_CONTAINER:
                return container
    return None


def membership(workload: Workload, namespace_labels: Mapping[str, str]) -> MeshMembership:
    pod_opt = workload.pod_labels.get("sidecar.istio.io/inject") or workload.pod_annotations.get(
        "sidecar.istio.io/inject"
    )
    if proxy_container(workload) is not None:
        revision = workload.pod_labels.get("istio.io/rev") or namespace_revision(namespace_labels) or "default"
        return MeshMembership("sidecar", revision, "pod has an istio-proxy container")
    if workload.pod_spec.get("hostNetwork") is True:
        # The injector never injects host-network pods, and ztunnel never captures them.
        return MeshMembership("none", None, "pod uses the host network")
    if (
        namespace_labels.get("istio.io/dataplane-mode") == "ambient"
        and workload.pod_labels.get("istio.io/dataplane-mode") != "none"
    ):
        return MeshMembership("ambient", None, "namespace is labelled for ambient mode")
    if pod_opt == "false":
        return MeshMembership("none", None, "pod opts out with sidecar.istio.io/inject=false")
    pod_revision = workload.pod_labels.get("istio.io/rev")
    if pod_revision:
        return MeshMembership("sidecar", pod_revision, f"pod label istio.io/rev={pod_revision}")
    namespace_rev = namespace_revision(namespace_labels)
    if namespace_rev:
        return MeshMembership("sidecar", namespace_rev, "namespace injection label")
    if pod_opt == "true":
        return MeshMembership("sidecar", "default", "pod opts in with sidecar.istio.io/inject=true")
    return MeshMembership("none", None, "no injection label")


# Detectors, scoping, the simulator, the plan and the footprint all ask about the same
# workloads; each snapshot answers once per workload.
_MEMBERSHIPS: WeakKeyDictionary[Snapshot, dict[ObjectRef, MeshMembership]] = WeakKeyDictionary()


def mesh_membership(snapshot: Snapshot, workload: Workload) -> MeshMembership:
    """``membership`` of a workload of ``snapshot``, under its namespace's labels, computed once."""
    known = _MEMBERSHIPS.setdefault(snapshot, {})
    found = known.get(workload.ref)
    if found is None:
        found = known[workload.ref] = membership(workload, snapshot.namespace_labels.get(workload.namespace, {}))
    return found
