"""VirtualServices whose overlapping wildcard hosts are resolved differently.

For every wildcard host of a ServiceEntry (e.g. ``*.example.com``), takes the
VirtualServices bound to sidecars (no ``gateways``, or ``mesh`` among them) with a host
overlapping it. With two or more of them, the route configuration for that service
host came from the oldest VirtualService (``metadata.creationTimestamp``, ties by
namespace then name) up to 1.20, and comes from the one whose host covers the service
host most specifically (equal host, else the longest wildcard containing it) from 1.21.
Only where those two choices differ is anything reported: both VirtualServices, the
one that loses its traffic and the one that gains it.

Concrete (non-wildcard) service hosts are not affected and not reported. Precedence is
computed by ``preflight.istio.routing``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.hosts import is_wildcard, resolve_short_name
from preflight.istio.routing import SidecarVirtualServices, most_specific_winner, oldest_first_winner
from preflight.istio.scoping import host_list

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    if len(snapshot.of_kind("VirtualService")) < 2:
        return
    virtual_services = SidecarVirtualServices(snapshot.of_kind("VirtualService"))
    service_hosts = sorted(
        {
            resolve_short_name(h, entry.namespace)
            for entry in snapshot.of_kind("ServiceEntry")
            for h in host_list(entry)
            if is_wildcard(h)
        }
    )
    for service_host in service_hosts:
        candidates = virtual_services.overlapping(service_host)
        if len(candidates) < 2:
            continue
        before = oldest_first_winner(candidates)
        after = most_specific_winner(service_host, candidates)
        if before is None or after is None or before.ref == after.ref:
            continue
        loser, winner = before, after
        details = {"service host": service_host, "until 1.20": str(loser.ref), "from 1.21": str(winner.ref)}
        yield Hit(
            loser.ref,
            f"VirtualService {loser.namespace}/{loser.name} stops routing {service_host}: "
            f"{winner.namespace}/{winner.name} has the more specific host and takes over",
            source=loser.source,
            details=details,
        )
        yield Hit(
            winner.ref,
            f"VirtualService {winner.namespace}/{winner.name} starts routing {service_host} in place of the "
            f"older {loser.namespace}/{loser.name}",
            source=winner.source,
            details=details,
        )
