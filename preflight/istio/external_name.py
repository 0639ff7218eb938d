"""What a Kubernetes ExternalName Service is to istiod once it is an alias (1.21+, ``ENABLE_EXTERNAL_NAME_ALIAS``).

* Before, istiod modelled an ExternalName Service as a service of its own (DNS resolution,
  the ports declared on it) that forwarded to the name in ``spec.externalName``; the
  caller's proxy treated the call as external and sent plaintext.
* As an alias, the ExternalName Service gets no cluster or listener of its own: its host is
  added as another name of the concrete service its ``externalName`` names (a Kubernetes
  Service or a ServiceEntry host), following chains of aliases and dropping loops. So:
  - an alias of an in-cluster Service is that Service: Istio mTLS, its DestinationRules,
    VirtualServices and AuthorizationPolicies apply to calls made through the alias;
  - an alias of a ServiceEntry host follows that ServiceEntry;
  - an alias whose name is in no registry (an external host without a ServiceEntry) is
    nothing to istiod: calls to it are unknown traffic, which leaves through the
    ``PassthroughCluster`` with ``outboundTrafficPolicy`` ``ALLOW_ANY`` and is dropped by the
    ``BlackHoleCluster`` with ``REGISTRY_ONLY``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from preflight.istio.hosts import service_fqdn
from preflight.istio.scoping import host_list
from preflight.snapshot.interface import K8sObject, ServiceRef
from preflight.snapshot.model import Snapshot


class AliasKind(StrEnum):
    SERVICE = "service"  # an in-cluster Kubernetes Service
    SERVICE_ENTRY = "service-entry"  # a ServiceEntry host
    UNREGISTERED = "unregistered"  # a name no registry defines: unknown traffic for the proxy
    LOOP = "loop"  # aliases that name each other: Kubernetes DNS answers NXDOMAIN


@dataclass(frozen=True)
class AliasTarget:
    kind: AliasKind
    host: str  # the concrete host the chain ends at (the last name for a loop)
    service: ServiceRef | None = None  # the Kubernetes Service, for ``SERVICE``
    service_entry: str | None = None  # "namespace/name" of the ServiceEntry, for ``SERVICE_ENTRY``
    via: tuple[str, ...] = ()  # intermediate alias hosts, for a chain


def external_name_target(obj: K8sObject) -> str:
    return str(obj.spec.get("externalName") or "").lower().rstrip(".")


def is_external_name(obj: K8sObject) -> bool:
    return obj.kind == "Service" and obj.spec.get("type") == "ExternalName"


class ExternalNameAliases:
    """Each ExternalName Service of a snapshot and what its alias resolves to."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._aliases: dict[str, str] = {}  # alias host → the name it points at
        self._services: dict[str, ServiceRef] = {}
        for service in snapshot.of_kind("Service"):
            ref = ServiceRef(service.namespace, service.name)
            if is_external_name(service):
                self._aliases[service_fqdn(ref)] = external_name_target(service)
            else:
                self._services[service_fqdn(ref)] = ref
        self._entries: dict[str, str] = {}
        for entry in snapshot.of_kind("ServiceEntry"):
            for entry_host in host_list(entry):
                self._entries.setdefault(entry_host.lower(), f"{entry.namespace}/{entry.name}")

    def target(self, alias: ServiceRef) -> AliasTarget:
        """Where calls through ``alias`` end up once ExternalName Services are aliases."""
        current = self._aliases.get(service_fqdn(alias), "")
        seen = {service_fqdn(alias)}
        via: list[str] = []
        while current in self._aliases:
            if current in seen:
                return AliasTarget(AliasKind.LOOP, current, via=tuple(via))
            seen.add(current)
            via.append(current)
            current = self._aliases[current]
        if current in self._services:
            return AliasTarget(AliasKind.SERVICE, current, service=self._services[current], via=tuple(via))
        if current in self._entries:
            return AliasTarget(AliasKind.SERVICE_ENTRY, current, service_entry=self._entries[current], via=tuple(via))
        return AliasTarget(AliasKind.UNREGISTERED, current, via=tuple(via))
