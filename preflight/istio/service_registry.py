"""Which namespace's service a sidecar picks for a host defined in several namespaces.

When a ``Sidecar`` resource's egress listener imports a VirtualService whose destination
host is not defined in the sidecar's own namespace but in several others, istiod must
pick one namespace's service (``pilot/pkg/model/sidecar.go``):

* old rule (``PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE=false``): the alphabetically
  first namespace;
* new rule (1.30 default): a namespace with a Kubernetes Service, else the namespace of
  the oldest ServiceEntry by creation time.

Hosts count per definition: a Kubernetes Service defines ``name.ns.svc.cluster.local``;
a ServiceEntry defines each of its non-wildcard ``hosts``. ServiceEntries exported only to
their own namespace (``exportTo: ["."]``) are not visible elsewhere and are left out.

Also what the registry says about one call: the first wildcard ServiceEntry host that catches
a name, and the port a Service port sends to on its pods (``targetPort``, by number or name).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from preflight.istio.hosts import is_wildcard, matches, service_fqdn
from preflight.istio.scoping import host_list
from preflight.snapshot.interface import K8sObject, ServiceRef, Workload, list_at
from preflight.snapshot.model import Snapshot


@dataclass(frozen=True)
class HostDefinition:
    namespace: str
    obj: K8sObject
    kubernetes: bool  # a Kubernetes Service, not a ServiceEntry
    created: str  # RFC 3339 creationTimestamp; "" when unknown


def host_definitions(snapshot: Snapshot) -> Mapping[str, list[HostDefinition]]:
    found: dict[str, list[HostDefinition]] = defaultdict(list)
    for ref, service in snapshot.services.items():
        found[service_fqdn(ref)].append(HostDefinition(ref.namespace, service, True, service.creation_timestamp))
    for entry in snapshot.of_kind("ServiceEntry"):
        if [str(e) for e in list_at(entry.spec, "exportTo")] == ["."]:
            continue
        for host in host_list(entry):
            if not is_wildcard(host):
                found[host.lower()].append(HostDefinition(entry.namespace, entry, False, entry.creation_timestamp))
    return found


def pick_first_namespace(definitions: list[HostDefinition]) -> str:
    return min(d.namespace for d in definitions)


def pick_best_namespace(definitions: list[HostDefinition]) -> str | None:
    """The new rule; ``None`` when the oldest ServiceEntry cannot be told (creation times missing)."""
    kubernetes = sorted(d.namespace for d in definitions if d.kubernetes)
    if kubernetes:
        return kubernetes[0]
    if any(not d.created for d in definitions):
        return None
    return min(definitions, key=lambda d: d.created).namespace


def services_named(definitions: list[HostDefinition]) -> tuple[ServiceRef, ...]:
    return tuple(sorted(ServiceRef(d.namespace, d.obj.name) for d in definitions if d.kubernetes))


class WildcardServiceEntryHosts:
    """The wildcard hosts of the snapshot's ServiceEntries, in snapshot order, looked up by name.

    A name matches ``*suffix`` when it ends with the suffix, so the lookup tries the name's own
    suffixes instead of scanning every ServiceEntry for every host.
    """

    def __init__(self, service_entries: Iterable[K8sObject]) -> None:
        self.hosts: list[str] = [
            h.lower() for entry in service_entries for h in host_list(entry) if is_wildcard(h.lower())
        ]
        self._first_by_suffix: dict[str, int] = {}
        for position, host in enumerate(self.hosts):
            self._first_by_suffix.setdefault(host[1:], position)

    def first_match(self, host: str) -> str | None:
        """The first wildcard ServiceEntry host that matches ``host``."""
        if is_wildcard(host):
            return next((h for h in self.hosts if matches(h, host)), None)
        first = self._first_by_suffix
        positions = [first[host[i:]] for i in range(len(host) + 1) if host[i:] in first]
        return self.hosts[min(positions)] if positions else None


def service_port(service: K8sObject, port: int | None) -> Mapping[str, object] | None:
    """The entry of ``spec.ports`` for a Service port number."""
    if port is None:
        return None
    return next((e for e in list_at(service.spec, "ports") if isinstance(e, Mapping) and e.get("port") == port), None)


def target_port(service: K8sObject, port: int, workloads: Sequence[Workload]) -> int | None:
    """The port the pods receive on for a Service port (``targetPort``, by number or container port name).

    The Service port itself when the Service does not list it; ``None`` when a named target
    port is not one container port of the workloads.
    """
    entry = service_port(service, port)
    if entry is None:
        return port
    target = entry.get("targetPort", port)
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    return _named_port(str(target), workloads)


def _named_port(name: str, workloads: Sequence[Workload]) -> int | None:
    numbers = set()
    for workload in workloads:
        for container in list_at(workload.pod_spec, "containers"):
            for declared in list_at(container, "ports") if isinstance(container, Mapping) else []:
                if isinstance(declared, Mapping) and declared.get("name") == name:
                    numbers.add(declared.get("containerPort"))
    return numbers.pop() if len(numbers) == 1 and isinstance(next(iter(numbers)), int) else None
