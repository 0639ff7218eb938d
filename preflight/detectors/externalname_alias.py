"""ExternalName services and the routing rules that name them.

Reports every Kubernetes ``Service`` of ``type: ExternalName``, saying which case of the
alias semantics (``preflight.istio.external_name``) applies to it:

* an alias of an in-cluster Service (medium): calls through it become calls to that
  Service, with Istio mTLS and its DestinationRules and AuthorizationPolicies (the edge
  simulation shows which calls that changes);
* an alias of a ServiceEntry host (medium): calls follow that ServiceEntry;
* an alias of a name no Service or ServiceEntry defines: with ``outboundTrafficPolicy``
  ``REGISTRY_ONLY`` (meshConfig, or the Sidecars that set it) calls to it go to the
  BlackHoleCluster and fail (the entry's severity); with ``ALLOW_ANY`` they still leave
  through the PassthroughCluster, without its ports or rules (medium).

It also reports every VirtualService
route whose destination is such a service while the name it points to is neither a
Service nor a ServiceEntry host in the snapshot (the route stops working once
ExternalName becomes an alias), and every DestinationRule whose ``host`` is such a
service (it no longer applies). Each hit names the ExternalName service as affected.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.external_name import (
    AliasKind,
    AliasTarget,
    ExternalNameAliases,
    external_name_target,
    is_external_name,
)
from preflight.istio.hosts import resolve_short_name, service_fqdn
from preflight.istio.routing import route_destinations
from preflight.istio.scoping import host_list
from preflight.istio.sidecar_scope import ALLOW_ANY, REGISTRY_ONLY, outbound_policy_mode
from preflight.kb.interface import Severity
from preflight.snapshot.interface import K8sObject, ServiceRef

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    aliases: dict[str, tuple[ServiceRef, str]] = {}
    resolver = ExternalNameAliases(snapshot)
    outbound = _RegistryOnly(context)
    for service in snapshot.of_kind("Service"):
        if not is_external_name(service):
            continue
        ref = ServiceRef(service.namespace, service.name)
        target = external_name_target(service)
        aliases[service_fqdn(ref)] = (ref, target)
        yield _alias_hit(service, ref, resolver.target(ref), outbound)
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


class _RegistryOnly:
    """Which callers drop unknown traffic: ``outboundTrafficPolicy`` ``REGISTRY_ONLY`` in meshConfig or Sidecars."""

    def __init__(self, context: DetectorContext) -> None:
        self.mesh = outbound_policy_mode(context.control_plane.mesh_config) == REGISTRY_ONLY
        modes = {
            f"{sidecar.namespace}/{sidecar.name}": outbound_policy_mode(sidecar.spec)
            for sidecar in context.snapshot.of_kind("Sidecar")
        }
        self.sidecars = sorted(name for name, mode in modes.items() if mode == REGISTRY_ONLY)
        self.exempt = sorted(name for name, mode in modes.items() if mode == ALLOW_ANY)


def _alias_hit(service: K8sObject, ref: ServiceRef, target: AliasTarget, outbound: _RegistryOnly) -> Hit:
    chain = f" (through {', '.join(target.via)})" if target.via else ""
    ignored = "the ports declared on it are ignored"
    if target.kind is AliasKind.SERVICE:
        return Hit(
            service.ref,
            f"ExternalName service {ref} becomes an alias of the in-cluster Service {target.service}{chain}: "
            f"calls to it are handled as calls to {target.service}, over Istio mTLS (its server now sees the "
            f"caller's identity) and under {target.service}'s DestinationRules, VirtualServices and "
            f"AuthorizationPolicies; {ignored}",
            services=(ref,),
            details={"alias_case": "in-cluster service", "alias_of": str(target.service)},
            severity=Severity.MEDIUM,
        )
    if target.kind is AliasKind.SERVICE_ENTRY:
        return Hit(
            service.ref,
            f"ExternalName service {ref} becomes an alias of {target.host}{chain}, a host of ServiceEntry "
            f"{target.service_entry}: calls to it follow that ServiceEntry's ports, resolution and "
            f"DestinationRules; {ignored}",
            services=(ref,),
            details={"alias_case": "service entry", "alias_of": target.host},
            severity=Severity.MEDIUM,
        )
    unknown = (
        f"ExternalName service {ref} points at {target.host or 'nothing'}{chain}, which no Service or ServiceEntry "
        "defines: as an alias it is nothing to istiod (no cluster, no listener), so sidecars see calls to it as "
        "unknown traffic"
    )
    if target.kind is AliasKind.LOOP:
        unknown = f"ExternalName service {ref} is part of a loop of aliases ({target.host}): DNS answers NXDOMAIN"
    fix = f"declare {target.host} in a ServiceEntry (or point the alias at a Service) before the upgrade"
    if outbound.mesh:
        exempt = ""
        if outbound.exempt:
            exempt = f" (except callers of Sidecars {', '.join(outbound.exempt)}, which set ALLOW_ANY)"
        return Hit(
            service.ref,
            f"{unknown}; meshConfig sets outboundTrafficPolicy REGISTRY_ONLY, so calls to it go to the "
            f"BlackHoleCluster and fail{exempt}: {fix}",
            services=(ref,),
            details={"alias_case": "unregistered host, REGISTRY_ONLY", "alias_of": target.host},
        )
    if outbound.sidecars:
        return Hit(
            service.ref,
            f"{unknown}; callers scoped by Sidecars {', '.join(outbound.sidecars)} (outboundTrafficPolicy "
            "REGISTRY_ONLY) send calls to it to the BlackHoleCluster and fail, other callers (ALLOW_ANY) still "
            f"reach it through the PassthroughCluster: {fix}",
            services=(ref,),
            details={"alias_case": "unregistered host, REGISTRY_ONLY in some Sidecars", "alias_of": target.host},
        )
    return Hit(
        service.ref,
        f"{unknown}; with outboundTrafficPolicy ALLOW_ANY calls to it still leave through the PassthroughCluster "
        f"and reach {target.host or 'its DNS answer'}, but {ignored} and no route or DestinationRule applies to them",
        services=(ref,),
        details={"alias_case": "unregistered host, ALLOW_ANY", "alias_of": target.host},
        severity=Severity.MEDIUM,
    )
