"""What a sidecar can route to: the egress imports of its ``Sidecar`` resource.

* Which Sidecar applies to a workload: in the workload's namespace, the oldest one whose
  ``workloadSelector.labels`` select it; else the oldest one of the namespace without a
  selector; else the root namespace's Sidecar without a selector (the mesh default, read
  as if it sat in the workload's namespace). Without any, the proxy sees every host.
* ``egress[].hosts`` entries are ``namespace/dnsName``: ``.`` is the Sidecar's (or, for
  the mesh default, the workload's) namespace, ``*`` every namespace; ``dnsName`` is a
  host or a ``*``-wildcard. ``~`` before the namespace excludes the host instead
  (``~/*`` alone excludes everything). A host of a namespace is imported when an entry of
  that namespace or of ``*`` covers it and no exclusion does. An egress listener with a
  ``port`` (other than an ``HTTP_PROXY`` one) imports hosts for that port only.
* A sidecar also reaches the destinations of the sidecar-bound VirtualServices whose hosts
  its egress hosts import (``VirtualService.spec.hosts`` matched both ways, as istiod does
  for non-Gateway-API routes). When such a destination host is not defined in the caller's
  namespace but in several others, istiod picks one namespace: the alphabetically first,
  or from 1.30 (``PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE``) a namespace with a
  Kubernetes Service, else the oldest ServiceEntry (``service_registry``).
* A call to a host the sidecar does not import leaves through the ``PassthroughCluster``
  as plaintext when the outbound policy is ``ALLOW_ANY`` (the default), or hits the
  ``BlackHoleCluster`` with ``REGISTRY_ONLY``. The Sidecar's ``outboundTrafficPolicy.mode``
  wins over ``meshConfig.outboundTrafficPolicy.mode``.

Not read: VirtualService and Service ``exportTo`` visibility and Gateway API routes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from preflight.istio.hosts import is_wildcard, matches, resolve_short_name, subset_of
from preflight.istio.routing import applies_to_sidecars, creation_order_key, route_destinations
from preflight.istio.selectors import matches_labels, workload_selector_labels
from preflight.snapshot.interface import K8sObject, Workload, list_at, mapping_at

ALLOW_ANY = "ALLOW_ANY"
REGISTRY_ONLY = "REGISTRY_ONLY"


@dataclass(frozen=True)
class _Imports:
    """The hosts of one namespace (or ``*``) that a listener imports, and those it excludes."""

    exact: frozenset[str] = frozenset()
    wildcards: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def covers(self, host: str) -> bool:
        return host in self.exact or any(subset_of(host, w) for w in self.wildcards)

    def excludes(self, host: str) -> bool:
        return any(subset_of(host, e) for e in self.excluded)

    def route_host_matches(self, host: str) -> bool:
        return host in self.exact or any(matches(host, h) for h in (*self.exact, *self.wildcards))


@dataclass(frozen=True)
class EgressListener:
    port: int | None  # None: every port
    by_namespace: Mapping[str, _Imports]

    def imports(self, host: str, namespace: str) -> bool:
        own, every = self.by_namespace.get(namespace), self.by_namespace.get("*")
        if (own is not None and own.excludes(host)) or (every is not None and every.excludes(host)):
            return False
        return (own is not None and own.covers(host)) or (every is not None and every.covers(host))

    def imports_route(self, virtual_service: K8sObject, hosts: Sequence[str]) -> bool:
        namespace = virtual_service.namespace
        own, every = self.by_namespace.get(namespace), self.by_namespace.get("*")
        for host in hosts:
            if (own is not None and own.excludes(host)) or (every is not None and every.excludes(host)):
                continue
            if (own is not None and own.route_host_matches(host)) or (
                every is not None and every.route_host_matches(host)
            ):
                return True
        return False


@dataclass(frozen=True)
class SidecarScope:
    """One caller namespace's view through one Sidecar resource (``sidecar`` ``None``: sees everything)."""

    namespace: str
    sidecar: K8sObject | None
    listeners: tuple[EgressListener, ...] = ()
    outbound_policy: str = ALLOW_ANY
    _imported: dict[tuple[str, str, int | None], bool] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.sidecar.namespace}/{self.sidecar.name}" if self.sidecar is not None else ""

    def imports(self, host: str, namespace: str, port: int | None) -> bool:
        """Does the sidecar have a route for ``host`` (defined in ``namespace``) on ``port``?"""
        if self.sidecar is None:
            return True
        key = (host, namespace, port)
        found = self._imported.get(key)
        if found is None:
            found = self._imported[key] = any(
                listener.imports(host, namespace)
                for listener in self.listeners
                if listener.port is None or port is None or listener.port == port
            )
        return found

    def imported_routes(self, routes: SidecarRoutes) -> list[K8sObject]:
        """The sidecar-bound VirtualServices whose hosts this scope imports."""
        if self.sidecar is None:
            return []
        named = {n for listener in self.listeners for n in listener.by_namespace}
        namespaces = routes.by_namespace if "*" in named else named
        found = []
        for namespace in sorted(namespaces):
            for virtual_service, hosts in routes.by_namespace.get(namespace, ()):
                if any(listener.imports_route(virtual_service, hosts) for listener in self.listeners):
                    found.append(virtual_service)
        return found

    def route_only_hosts(self, routes: SidecarRoutes) -> dict[str, K8sObject]:
        """Destination hosts of the imported VirtualServices, each with the oldest one that names it."""
        found: dict[str, K8sObject] = {}
        for virtual_service in sorted(self.imported_routes(routes), key=creation_order_key):
            for destination in sorted(route_destinations(virtual_service)):
                host = resolve_short_name(destination, virtual_service.namespace)
                if not is_wildcard(host):
                    found.setdefault(host, virtual_service)
        return found


class SidecarRoutes:
    """Sidecar-bound VirtualServices by namespace, with their hosts resolved once."""

    def __init__(self, virtual_services: Iterable[K8sObject]) -> None:
        self.by_namespace: dict[str, list[tuple[K8sObject, list[str]]]] = defaultdict(list)
        for virtual_service in virtual_services:
            if applies_to_sidecars(virtual_service):
                hosts = [resolve_short_name(h, virtual_service.namespace)
                         for h in list_at(virtual_service.spec, "hosts") if isinstance(h, str)]
                self.by_namespace[virtual_service.namespace].append((virtual_service, hosts))


def _listener(entry: Mapping[str, Any], namespace: str) -> EgressListener:
    port_spec = mapping_at(entry, "port")
    number = port_spec.get("number")
    port = number if isinstance(number, int) and number and str(port_spec.get("protocol", "")).upper() != (
        "HTTP_PROXY"
    ) else None
    exact: dict[str, set[str]] = defaultdict(set)
    wildcards: dict[str, list[str]] = defaultdict(list)
    excluded: dict[str, list[str]] = defaultdict(list)
    for raw in list_at(entry, "hosts"):
        if not isinstance(raw, str) or raw.count("/") != 1:
            continue  # istiod rejects hosts not of the form namespace/dnsName
        owner, name = raw.lower().split("/")
        exclude = owner.startswith("~")
        if exclude:
            owner = owner[1:] or "*"
        if owner == ".":
            owner = namespace
        if exclude:
            excluded[owner].append(name)
        elif is_wildcard(name):
            wildcards[owner].append(name)
        else:
            exact[owner].add(name)
    owners = set(exact) | set(wildcards) | set(excluded)
    imports = {
        owner: _Imports(frozenset(exact[owner]), tuple(wildcards[owner]), tuple(excluded[owner])) for owner in owners
    }
    return EgressListener(port, imports)


def outbound_policy_mode(value: Any) -> str | None:
    mode = str(mapping_at(value, "outboundTrafficPolicy").get("mode") or "").upper() if isinstance(
        value, Mapping
    ) else ""
    return mode if mode in (ALLOW_ANY, REGISTRY_ONLY) else None


class SidecarScopes:
    """The Sidecar scope of each caller, built once per (Sidecar, namespace)."""

    def __init__(self, sidecars: Iterable[K8sObject], root_namespace: str, mesh_config: Mapping[str, Any]) -> None:
        self.root_namespace = root_namespace
        self.mesh_policy = outbound_policy_mode(mesh_config) or ALLOW_ANY
        self._selecting: dict[str, list[K8sObject]] = defaultdict(list)
        self._namespace_default: dict[str, K8sObject] = {}
        for sidecar in sorted(sidecars, key=creation_order_key):
            if workload_selector_labels(sidecar.spec) is not None:
                self._selecting[sidecar.namespace].append(sidecar)
            else:
                self._namespace_default.setdefault(sidecar.namespace, sidecar)
        self._scopes: dict[tuple[int, str], SidecarScope] = {}
        self._unscoped: dict[str, SidecarScope] = {}

    @property
    def any(self) -> bool:
        return bool(self._selecting or self._namespace_default)

    def sidecar_for(self, namespace: str, labels: Mapping[str, str] | None) -> K8sObject | None:
        """The Sidecar resource that configures a proxy; labels ``None`` when the workload is not known."""
        if labels is not None:
            for sidecar in self._selecting.get(namespace, ()):
                if matches_labels(workload_selector_labels(sidecar.spec) or {}, labels):
                    return sidecar
        return self._namespace_default.get(namespace) or self._namespace_default.get(self.root_namespace)

    def scope_for(self, namespace: str, workload: Workload | None = None) -> SidecarScope:
        sidecar = self.sidecar_for(namespace, workload.pod_labels if workload else None)
        if sidecar is None:
            found = self._unscoped.get(namespace)
            if found is None:
                found = self._unscoped[namespace] = SidecarScope(namespace, None, outbound_policy=self.mesh_policy)
            return found
        key = (id(sidecar), namespace)  # sidecars are held by the snapshot: ids are stable
        found = self._scopes.get(key)
        if found is None:
            egress = [e for e in list_at(sidecar.spec, "egress") if isinstance(e, Mapping)]
            listeners = tuple(_listener(e, namespace) for e in egress)
            if not listeners:
                # A Sidecar without egress keeps the default: every host of every namespace.
                listeners = (EgressListener(None, {"*": _Imports(wildcards=("*",))}),)
            policy = outbound_policy_mode(sidecar.spec) or self.mesh_policy
            found = self._scopes[key] = SidecarScope(namespace, sidecar, listeners, policy)
        return found
