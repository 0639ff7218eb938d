"""VirtualService destinations whose service a Sidecar-scoped proxy now takes from another namespace.

For each ``Sidecar`` resource (namespace N) and each VirtualService it imports (its
egress ``hosts`` name the VirtualService's namespace with ``*``, ``.``, ``~`` excluded, or
the namespace by name), looks at every route destination host that is defined in two
or more namespaces other than N. The old rule picks the alphabetically first of them,
the new one prefers a Kubernetes Service, else the oldest ServiceEntry
(``preflight.istio.service_registry``). Reports the VirtualService when the two picks
differ, scoped to the services defined under that host; when ServiceEntry creation times
are missing the hit says the new pick cannot be told.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.hosts import resolve_short_name
from preflight.istio.routing import route_destinations
from preflight.istio.service_registry import (
    host_definitions,
    pick_best_namespace,
    pick_first_namespace,
    services_named,
)
from preflight.snapshot.interface import K8sObject, list_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    sidecars = snapshot.of_kind("Sidecar")
    if not sidecars:
        return
    definitions = host_definitions(snapshot)
    reported: set[tuple[str, str, str]] = set()
    # Grouped once: a Sidecar usually imports a few namespaces, so checking it against every
    # VirtualService of the mesh would make large clusters quadratic.
    by_namespace: dict[str, list[K8sObject]] = {}
    for virtual_service in snapshot.of_kind("VirtualService"):
        by_namespace.setdefault(virtual_service.namespace, []).append(virtual_service)
    for sidecar in sidecars:
        imported = _imported_namespaces(sidecar, by_namespace)
        for virtual_service in (vs for ns in imported for vs in by_namespace[ns]):
            for host in sorted(route_destinations(virtual_service)):
                fqdn = resolve_short_name(host, virtual_service.namespace)
                elsewhere = [d for d in definitions.get(fqdn, []) if d.namespace != sidecar.namespace]
                if len({d.namespace for d in elsewhere}) < 2 or any(
                    d.namespace == sidecar.namespace for d in definitions.get(fqdn, [])
                ):
                    continue
                old, new = pick_first_namespace(elsewhere), pick_best_namespace(elsewhere)
                if old == new:
                    continue
                key = (virtual_service.namespace, virtual_service.name, fqdn)
                if key in reported:
                    continue
                reported.add(key)
                new_text = f"namespace {new}" if new else "the oldest ServiceEntry (creation times missing)"
                yield Hit(
                    virtual_service.ref,
                    f"VirtualService {virtual_service.namespace}/{virtual_service.name} routes to {fqdn}, defined in "
                    f"{len({d.namespace for d in elsewhere})} namespaces: proxies scoped by Sidecar "
                    f"{sidecar.namespace}/{sidecar.name} switch from namespace {old} to {new_text}",
                    services=services_named(elsewhere),
                    details={"old_namespace": old, "new_namespace": new or "unknown"},
                )


def _imported_namespaces(sidecar: K8sObject, namespaces: Mapping[str, Any]) -> list[str]:
    """Which of ``namespaces`` the Sidecar's egress hosts import, in their order."""
    egress = list_at(sidecar.spec, "egress")
    if not egress:
        return list(namespaces)  # no egress section imports */*
    scopes: set[str] = set()
    for listener in egress:
        for item in list_at(listener, "hosts") if isinstance(listener, Mapping) else []:
            scope = str(item).split("/", 1)[0]
            if scope == "*":
                return list(namespaces)
            scopes.add(sidecar.namespace if scope == "." else scope)
    return [namespace for namespace in namespaces if namespace in scopes]
