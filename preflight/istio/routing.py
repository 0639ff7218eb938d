"""Reading VirtualService routes: destinations, and the hosts a route sends traffic to."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from preflight.snapshot.interface import K8sObject, list_at

ROUTE_SECTIONS = ("http", "tcp", "tls")


def route_destinations(virtual_service: K8sObject) -> set[str]:
    """Every ``destination.host`` in the http, tcp and tls routes of a VirtualService (as written)."""
    return {str(d.get("host")) for d in destinations(virtual_service) if d.get("host")}


def destinations(virtual_service: K8sObject) -> Iterator[Mapping[str, object]]:
    for section in ROUTE_SECTIONS:
        for route in list_at(virtual_service.spec, section):
            if not isinstance(route, Mapping):
                continue
            for weighted in list_at(route, "route"):
                if isinstance(weighted, Mapping) and isinstance(weighted.get("destination"), Mapping):
                    yield weighted["destination"]
            mirror = route.get("mirror")
            if isinstance(mirror, Mapping):
                yield mirror
