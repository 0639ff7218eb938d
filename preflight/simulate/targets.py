"""The caller's outbound, first step: which service (and so which workloads and port) its calls reach.

A destination the traffic data names is followed as the caller's proxy routes it: a Service
to its workloads and target port; an ExternalName Service to the host it names (an alias of
an in-mesh Service, or an external name); a host caught by a wildcard ServiceEntry through
the sidecar-bound VirtualService that wins among the overlapping ones; and, for a caller
scoped by a Sidecar resource, a host defined in several namespaces to the namespace istiod
picks. Which rule applies where is a switch (``preflight.simulate.semantics``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from preflight.istio.external_name import AliasKind, external_name_target
from preflight.istio.hosts import resolve_short_name, service_fqdn
from preflight.istio.routing import declared_protocol, route_destinations
from preflight.istio.service_registry import pick_best_namespace, pick_first_namespace, service_port, target_port
from preflight.istio.sidecar_scope import SidecarScope
from preflight.simulate.caller import Caller
from preflight.simulate.semantics import Semantics
from preflight.simulate.world import World
from preflight.snapshot.interface import K8sObject, ServiceRef, Workload
from preflight.traffic.interface import Destination

FIRST_RULE = "alphabetically first namespace"
BEST_RULE = "a Kubernetes Service's namespace, else the oldest ServiceEntry's"


@dataclass(frozen=True, slots=True)
class Target:
    """Where an edge's calls arrive on one side."""

    label: str  # "namespace/service", a workload, or a host
    service: ServiceRef | None
    workloads: tuple[Workload, ...]
    service_port: int | None
    target_port: int | None
    plaintext_reason: str | None = None  # set when the caller's proxy sends plaintext whatever the mode
    transport_changed: bool = False  # the observed mTLS of the edge no longer tells
    external: bool = False
    notes: tuple[str, ...] = ()
    unregistered: bool = False  # an alias of a name no registry defines: unknown traffic to the caller's proxy
    declared_protocol: str | None = None  # what the Service port's appProtocol or name declares

    @property
    def certificate_host(self) -> str:
        """The host whose server certificate a caller originating TLS would verify."""
        return self.label if self.service is None else service_fqdn(self.service)


@dataclass(frozen=True, slots=True)
class NamespaceChoice:
    """The namespaces a Sidecar-scoped caller's shared host resolves to under the old and the new rule."""

    host: str
    first: str  # alphabetically first (before 1.30)
    best: str | None  # Kubernetes Service first, else oldest ServiceEntry; None when that cannot be told
    via: str


def is_host_destination(destination: Destination) -> bool:
    return destination.service_ref is None and not (destination.workload and destination.namespace)


def targets(world: World, destination: Destination, semantics: Semantics) -> list[Target]:
    """Where calls to ``destination`` go under ``semantics`` (several targets when a route splits them)."""
    service = destination.service_ref
    if service is None and destination.workload and destination.namespace:
        workload = world.workloads_by_name.get((destination.namespace, destination.workload))
        workloads = (workload,) if workload else ()
        label = f"{destination.namespace}/{destination.workload}"
        return [Target(label, None, workloads, destination.service_port, destination.target_port)]
    if service is None:
        return _host_targets(world, destination, semantics)
    obj = world.snapshot.services.get(service)
    if obj is not None and obj.spec.get("type") == "ExternalName":
        return [_external_name_target(world, destination, obj, semantics)]
    return [service_target(world, service, destination.service_port, destination.target_port)]


def service_target(
    world: World, service: ServiceRef, port: int | None, pod_port: int | None, **extra: Any
) -> Target:
    workloads = tuple(world.snapshot.workloads_of_service(service))
    obj = world.snapshot.services.get(service)
    if pod_port is None and port is not None and obj is not None:
        pod_port = target_port(obj, port, workloads)
    entry = service_port(obj, port) if obj is not None else None
    protocol = declared_protocol(entry) if entry is not None else None
    return Target(str(service), service, workloads, port, pod_port, declared_protocol=protocol, **extra)


def _external_name_target(world: World, destination: Destination, obj: K8sObject, semantics: Semantics) -> Target:
    alias = ServiceRef(obj.namespace, obj.name)
    target_host = external_name_target(obj)
    aliased = world.scope.hosts.service_for(target_host)
    port = destination.service_port
    if aliased is None:
        resolved = world.external_names.target(alias)
        if resolved.kind in (AliasKind.UNREGISTERED, AliasKind.LOOP) and semantics.externalname_alias:
            note = (
                f"ExternalName {alias} is an alias of {resolved.host or 'nothing'}, which no Service or ServiceEntry "
                f"defines: istiod generates nothing for it, so the caller's proxy sees unknown traffic "
                f"({semantics.externalname_alias})"
            )
            return Target(str(alias), alias, (), port, None, external=True, notes=(note,), unregistered=True)
        return Target(str(alias), alias, (), port, None, external=True,
                      notes=(f"ExternalName {alias} points at {target_host or 'nothing'}, outside the mesh",))
    if semantics.externalname_alias:
        note = (
            f"ExternalName {alias} is an alias of {aliased}: the caller's proxy uses Istio mTLS "
            f"({semantics.externalname_alias})"
        )
        return service_target(world, aliased, port, None, transport_changed=True, notes=(note,))
    plaintext = (
        f"ExternalName {alias} resolves by DNS to {target_host}: the caller's proxy treats it as an external "
        "name and sends plaintext"
    )
    return service_target(world, aliased, port, None, plaintext_reason=plaintext, transport_changed=True)


def _host_targets(world: World, destination: Destination, semantics: Semantics) -> list[Target]:
    """A host, as the sidecar-bound VirtualService winning for its wildcard ServiceEntry host routes it."""
    host = (destination.host or "").lower()
    if not host:
        return [Target("unknown", None, (), destination.service_port, None, external=True,
                       notes=("destination is not named in the traffic data",))]
    default = Target(host, None, (), destination.service_port, None, external=True)
    service_host = world.wildcard_service_entry_host(host)
    if service_host is None:
        return [default]
    oldest, specific = world.route_winners(service_host)
    if oldest is specific:  # no overlap, or both rules pick the same VirtualService
        return [default]
    winner = specific if semantics.vs_most_specific_host else oldest
    if winner is None:
        return [default]
    routed_targets = []
    for routed in sorted(route_destinations(winner)):
        fqdn = resolve_short_name(routed, winner.namespace)
        service = world.scope.hosts.service_for(fqdn)
        note = f"VirtualService {winner.namespace}/{winner.name} routes {service_host} to {routed}"
        if service is not None:
            routed_targets.append(service_target(world, service, destination.service_port, None, notes=(note,)))
        else:
            routed_targets.append(
                Target(fqdn, None, (), destination.service_port, None, external=True, notes=(note,))
            )
    return routed_targets or [default]


def namespace_choice(world: World, caller: Caller, destination: Destination) -> NamespaceChoice | None:
    """Which namespace's definition a Sidecar-scoped caller reaches a shared host in, by either rule.

    Only for a host reached through an imported VirtualService, defined in several namespaces
    but not the caller's, and not imported by name (an explicit import takes priority).
    """
    scope = caller.scope
    service = destination.service_ref
    host = service_fqdn(service) if service is not None else (destination.host or "").lower()
    definitions = world.shared_hosts.get(host)
    if scope is None or definitions is None or caller.namespace is None:
        return None
    key = ("namespace choice", id(scope), caller.namespace, host, destination.service_port)
    return world.cache.get(key, _namespace_choice, world, scope, caller.namespace, host, destination.service_port)


def _namespace_choice(world: World, scope: SidecarScope, caller_namespace: str, host: str,
                      port: int | None) -> NamespaceChoice | None:
    definitions = world.shared_hosts[host]
    route = world.route_hosts(scope).get(host)
    namespaces = sorted({d.namespace for d in definitions})
    if (
        route is None
        or caller_namespace in namespaces
        or any(scope.imports(host, n, port) for n in namespaces)
    ):
        return None
    via = (
        f"Sidecar {scope.name} reaches {host} through VirtualService {route.namespace}/{route.name}; "
        f"{host} is defined in {', '.join(namespaces)}"
    )
    return NamespaceChoice(host, pick_first_namespace(definitions), pick_best_namespace(definitions), via)


def definition_target(world: World, choice: NamespaceChoice, namespace: str | None, port: int | None,
                      rule: str) -> Target:
    """The definition of a shared host in one namespace, as a target."""
    if namespace is None:
        note = f"{choice.via}: {rule} needs the ServiceEntries' creation times, which the snapshot lacks"
        return Target(choice.host, None, (), port, None, notes=(note,))
    note = f"{choice.via}: istiod picks {namespace} ({rule})"
    definition = next(d for d in world.shared_hosts[choice.host] if d.namespace == namespace)
    if definition.kubernetes:
        return service_target(world, ServiceRef(namespace, definition.obj.name), port, None, notes=(note,))
    return Target(f"{namespace}/{choice.host}", None, (), port, None, external=True,
                  notes=(f"{note}: ServiceEntry {namespace}/{definition.obj.name}",))
