"""ExternalName services and the routing rules that name them.

Reports every Kubernetes ``Service`` of ``type: ExternalName``, every VirtualService
route whose destination is such a service while the name it points to is neither a
Service nor a ServiceEntry host in the snapshot (the route stops working once
ExternalName becomes an alias), and every DestinationRule whose ``host`` is such a
service (it no longer applies). Each hit names the ExternalName service as affected.

Parameters: none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.istio.hosts import resolve_short_name, service_fqdn
from preflight.istio.routing import route_destinations
from preflight.istio.scoping import host_list
from preflight.snapshot.interface import ServiceRef

PARAMETERS: Mapping[str, str] = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    aliases: dict[str, tuple[ServiceRef, str]] = {}
    for service in snapshot.of_kind("Service"):
        if service.spec.get("type") != "ExternalName":
            continue
        ref = ServiceRef(service.namespace, service.name)
        target = str(service.spec.get("externalName") or "").lower().rstrip(".")
        aliases[service_fqdn(ref)] = (ref, target)
        yield Hit(
            service.ref,
            f"ExternalName service {ref} (→ {target or 'no target'}) becomes a DNS alias: its ports are "
            "ignored and the target's own routing, TLS and policies apply to calls made to it",
            services=(ref,),
        )
    if not aliases:
        return
    known_hosts = {service_fqdn(ServiceRef(s.namespace, s.name)) for s in snapshot.of_kind("Service")}
    for entry in snapshot.of_kind("ServiceEntry"):
        known_hosts.update(h.lower() for h in host_list(entry))
    for virtual_service in snapshot.of_kind("VirtualService"):
        for host in sorted(route_destinations(virtual_service)):
            alias = aliases.get(resolve_short_name(host, virtual_service.namespace))
            if alias is None:
                continue
            ref, target = alias
            if target in known_hosts:
                continue
            yield Hit(
                virtual_service.ref,
                f"VirtualService {virtual_service.namespace}/{virtual_service.name} routes to ExternalName "
                f"service {ref}, whose target {target or '(none)'} is no Service or ServiceEntry host: "
                "the route stops working",
                services=(ref,),
            )
    for rule in snapshot.of_kind("DestinationRule"):
        rule_host = rule.spec.get("host")
        if not isinstance(rule_host, str):
            continue
        alias = aliases.get(resolve_short_name(rule_host, rule.namespace))
        if alias is None:
            continue
        ref, target = alias
        yield Hit(
            rule.ref,
            f"DestinationRule {rule.namespace}/{rule.name} targets ExternalName service {ref}; it stops "
            f"applying — write it for {target or 'the target host'} instead",
            services=(ref,),
        )
