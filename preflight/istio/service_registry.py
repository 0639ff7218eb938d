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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from preflight.istio.hosts import is_wildcard, service_fqdn
from preflight.istio.scoping import host_list
from preflight.snapshot.interface import K8sObject, ServiceRef, list_at
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
