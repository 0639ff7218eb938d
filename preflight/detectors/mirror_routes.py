"""VirtualService routes that mirror traffic, and the services that receive the copies.

Reports every VirtualService with an HTTP route that sets ``mirror`` or ``mirrors``,
scoped to the services the mirrored copies go to (resolved like any destination host).
Use it for changes to how mirrored requests look, such as their Host header.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    scope = context.cluster.scope
    for virtual_service in context.snapshot.of_kind("VirtualService"):
        hosts: set[str] = set()
        for route in list_at(virtual_service.spec, "http"):
            if not isinstance(route, Mapping):
                continue
            mirror = route.get("mirror")
            if isinstance(mirror, Mapping) and mirror.get("host"):
                hosts.add(str(mirror["host"]))
            for item in list_at(route, "mirrors"):
                destination = item.get("destination") if isinstance(item, Mapping) else None
                if isinstance(destination, Mapping) and destination.get("host"):
                    hosts.add(str(destination["host"]))
        if not hosts:
            continue
        yield Hit(
            virtual_service.ref,
            f"VirtualService {virtual_service.namespace}/{virtual_service.name} mirrors traffic to "
            f"{', '.join(sorted(hosts))}",
            services=scope.services_for_hosts(hosts, virtual_service.namespace),
        )
