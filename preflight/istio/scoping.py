"""Which workloads and services a resource applies to.

* Workload-selector kinds (AuthorizationPolicy, PeerAuthentication,
  RequestAuthentication, Sidecar, EnvoyFilter, Telemetry, WasmPlugin): with
  ``targetRef``/``targetRefs`` the named Gateway's (group ``gateway.networking.k8s.io``,
  in the resource's namespace, or any namespace's from the root namespace) or Service's
  (of the resource's own namespace) pods; with a selector
  the matching workloads of the resource's namespace (of every namespace when the
  resource lives in the root namespace); without either, every workload of the
  namespace (the whole mesh for the root namespace).
* Host kinds (VirtualService, DestinationRule, ServiceEntry): the Kubernetes services
  their hosts name, short names resolved against the resource's namespace.
* A Service is its own scope; a workload is scoped to the services that select it;
  a Namespace to its services; istiod and its mesh ConfigMap to every meshed service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from preflight.istio.control_plane import ControlPlane, is_istiod
from preflight.istio.hosts import ServiceHosts
from preflight.istio.injection import mesh_membership
from preflight.istio.selectors import workload_selector_labels
from preflight.snapshot.interface import WORKLOAD_KINDS, K8sObject, ServiceRef, Workload, list_at
from preflight.snapshot.model import Snapshot, workload_of

WORKLOAD_SELECTOR_KINDS = frozenset(
    {
        "AuthorizationPolicy",
        "PeerAuthentication",
        "RequestAuthentication",
        "Sidecar",
        "EnvoyFilter",
        "Telemetry",
        "WasmPlugin",
    }
)
HOST_KINDS = frozenset({"VirtualService", "DestinationRule", "ServiceEntry"})
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"


class Scope:
    """Scoping answers for one snapshot, with the indexes they need built once."""

    def __init__(self, snapshot: Snapshot, control_plane: ControlPlane) -> None:
        self.snapshot = snapshot
        self.control_plane = control_plane

    @cached_property
    def hosts(self) -> ServiceHosts:
        return ServiceHosts(self.snapshot.services, "cluster.local")

    @cached_property
    def meshed_services(self) -> tuple[ServiceRef, ...]:
        """Services with at least one workload in the mesh (sidecar or ambient)."""
        found: set[ServiceRef] = set()
        for workload in self.snapshot.workloads:
            if mesh_membership(self.snapshot, workload).in_mesh:
                found.update(self.snapshot.services_of_workload(workload))
        return tuple(sorted(found))

    def workloads_for(self, obj: K8sObject) -> list[Workload]:
        """Workloads a workload-selector resource applies to."""
        spec = obj.spec
        targets = target_refs(spec)
        if targets:
            return self._targeted_workloads(obj, targets)
        labels = workload_selector_labels(spec)
        namespaces = [obj.namespace]
        if obj.namespace == self.control_plane.root_namespace:
            namespaces = self.snapshot.namespaces
        found: list[Workload] = []
        for namespace in namespaces:
            found.extend(self.snapshot.workloads_in(namespace, labels))
        return found

    def _targeted_workloads(self, obj: K8sObject, targets: list[Mapping[str, Any]]) -> list[Workload]:
        found: list[Workload] = []
        for target in targets:
            kind, name = str(target.get("kind", "")), str(target.get("name", ""))
            if is_gateway_target(target):
                for namespace in self.gateway_target_namespaces(obj.namespace, target.get("namespace")):
                    found.extend(self.snapshot.workloads_in(namespace, {GATEWAY_NAME_LABEL: name}))
            elif kind == "Service":
                # Only a Service of the resource's own namespace (ShouldAttachPolicy).
                found.extend(self.snapshot.workloads_of_service(ServiceRef(obj.namespace, name)))
        return found

    def gateway_target_namespaces(self, resource_namespace: str, target_namespace: object) -> list[str]:
        """Namespaces whose gateway pods a Gateway ``targetRef`` of a resource can reach.

        istiod only considers resources of a workload's own namespace and of the root
        namespace, and keeps a ``targetRef`` whose namespace is empty or the workload's
        (``pilot/pkg/model/policyattachment.go``, ``ShouldAttachPolicy``): a resource never
        attaches to a gateway of another namespace, except from the root namespace.
        """
        wanted = str(target_namespace) if target_namespace else None
        if resource_namespace != self.control_plane.root_namespace:
            return [resource_namespace] if wanted in (None, resource_namespace) else []
        return [wanted] if wanted else list(self.snapshot.namespaces)

    def services_for_workloads(self, workloads: Iterable[Workload]) -> tuple[ServiceRef, ...]:
        found: set[ServiceRef] = set()
        for workload in workloads:
            found.update(self.snapshot.services_of_workload(workload))
        return tuple(sorted(found))

    def services_for_hosts(self, hosts: Iterable[str], namespace: str) -> tuple[ServiceRef, ...]:
        found: set[ServiceRef] = set()
        for host in hosts:
            found.update(self.hosts.lookup(host, namespace))
        return tuple(sorted(found))

    def services_for(self, obj: K8sObject) -> tuple[ServiceRef, ...]:
        """The services a resource changes the behaviour of (empty when none can be named)."""
        kind = obj.kind
        if kind in WORKLOAD_SELECTOR_KINDS:
            services_targeted = self._targeted_services(obj)
            return tuple(sorted({*services_targeted, *self.services_for_workloads(self.workloads_for(obj))}))
        if kind in HOST_KINDS:
            return self.services_for_hosts(host_list(obj), obj.namespace)
        if kind == "Service":
            return (ServiceRef(obj.namespace, obj.name),)
        if kind in WORKLOAD_KINDS:
            workload = workload_of(obj)
            return self.snapshot.services_of_workload(workload) if workload else ()
        if kind == "Namespace":
            return tuple(self.snapshot.services_by_namespace.get(obj.name, ()))
        if (kind == "Deployment" and is_istiod(obj)) or (kind == "ConfigMap" and _is_mesh_config_map(obj)):
            return self.meshed_services
        return ()

    def _targeted_services(self, obj: K8sObject) -> tuple[ServiceRef, ...]:
        services = [t for t in target_refs(obj.spec) if t.get("kind") == "Service"]
        return tuple(ServiceRef(obj.namespace, str(t.get("name", ""))) for t in services)


def target_refs(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The policy targets a spec names: every ``targetRefs`` item, then the older single ``targetRef``.

    Items that are not mappings are skipped (a hand-edited file); an empty list means the
    resource attaches by selector or namespace instead.
    """
    refs = [t for t in list_at(spec, "targetRefs") if isinstance(t, Mapping)]
    single = spec.get("targetRef")
    if isinstance(single, Mapping):
        refs.append(single)
    return refs


def is_gateway_target(target: Mapping[str, object]) -> bool:
    """A ``targetRef`` to a Kubernetes Gateway API Gateway (its group is required: "" is the core group)."""
    return target.get("kind") == "Gateway" and str(target.get("group") or "") == "gateway.networking.k8s.io"


def host_list(obj: K8sObject) -> list[str]:
    """``spec.host`` of a DestinationRule, ``spec.hosts`` of a VirtualService or ServiceEntry."""
    if obj.kind == "DestinationRule":
        host = obj.spec.get("host")
        return [host] if isinstance(host, str) else []
    return [h for h in list_at(obj.spec, "hosts") if isinstance(h, str)]


def _is_mesh_config_map(obj: K8sObject) -> bool:
    return obj.name == "istio" or (obj.name.startswith("istio-") and "mesh" in (obj.body.get("data") or {}))
