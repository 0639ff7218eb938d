"""What the simulator reads of one snapshot: Istio's indexes, built once, and one cache.

Nothing here decides a call. The indexes come from ``preflight.istio``; ``Cache`` keeps the
results of the simulator's pure functions for one simulation, so that every edge ending in
the same decision shares one ``EdgeDecision`` and nothing is decided twice.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from functools import cached_property
from typing import Any, TypeVar

from preflight.istio.ambient import uses_waypoint
from preflight.istio.cluster import Cluster
from preflight.istio.destination_rules import DestinationRules, UnverifiedTLSRules
from preflight.istio.external_name import ExternalNameAliases
from preflight.istio.external_name import is_external_name as is_external_name_object
from preflight.istio.peer_authentication import MtlsSetting
from preflight.istio.routing import SidecarVirtualServices, most_specific_winner, oldest_first_winner
from preflight.istio.service_registry import HostDefinition, WildcardServiceEntryHosts, host_definitions
from preflight.istio.sidecar_scope import SidecarRoutes, SidecarScope, SidecarScopes
from preflight.snapshot.interface import K8sObject, ServiceRef, Workload

T = TypeVar("T")


class Cache:
    """One simulation's results of pure functions, keyed by the function and what its result reads.

    Results live as long as the simulation, so a key may hold the ``id`` of an object that
    another result keeps alive (cheaper than hashing a decision's fields).
    """

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: dict[Hashable, Any] = {}

    def get(self, key: Hashable, compute: Callable[..., T], *args: Any) -> T:
        """``compute(*args)``, computed once per ``key`` (which must name ``compute`` or be unique to it)."""
        try:
            found: T = self._found[key]
        except KeyError:
            found = self._found[key] = compute(*args)
        return found


class World:
    """Indexes over one snapshot, built once and shared by both sides of every edge."""

    def __init__(self, cluster: Cluster) -> None:
        snapshot = self.snapshot = cluster.snapshot
        control_plane = self.control_plane = cluster.control_plane
        self.cluster = cluster
        self.scope = cluster.scope
        self.authz = cluster.authorizations
        # The simulation's own compiled policies: their memo of every caller's decision goes with it.
        self.policies = cluster.authorizations.compiled()
        self.peers = cluster.peer_authentications
        default_export = control_plane.mesh_config.get("defaultDestinationRuleExportTo")
        self.destination_rules = DestinationRules(
            snapshot.of_kind("DestinationRule"),
            control_plane.root_namespace,
            [str(e) for e in default_export] if isinstance(default_export, list) else (),
        )
        self.sidecar_scopes = SidecarScopes(
            snapshot.of_kind("Sidecar"), control_plane.root_namespace, control_plane.mesh_config
        )
        self.cache = Cache()

    @cached_property
    def workloads_by_name(self) -> Mapping[tuple[str, str], Workload]:
        return {(w.namespace, w.ref.name): w for w in self.snapshot.workloads}

    @cached_property
    def external_names(self) -> ExternalNameAliases:
        return ExternalNameAliases(self.snapshot)

    @cached_property
    def sidecar_routes(self) -> SidecarRoutes:
        return SidecarRoutes(self.snapshot.of_kind("VirtualService"))

    @cached_property
    def shared_hosts(self) -> Mapping[str, list[HostDefinition]]:
        """Hosts defined in more than one namespace (Kubernetes Services and exported ServiceEntries)."""
        return {
            host: found for host, found in host_definitions(self.snapshot).items()
            if len({d.namespace for d in found}) > 1
        }

    def mesh_mode(self, workload: Workload) -> str:
        return self.cluster.membership(workload).mode

    def mtls_setting(self, workload: Workload, port: int | None) -> MtlsSetting:
        return self.cache.get(("mtls", workload.ref, port), self.peers.setting_for, workload, port)

    def route_hosts(self, scope: SidecarScope) -> Mapping[str, K8sObject]:
        """Destination hosts of the VirtualServices a Sidecar scope imports, once per scope."""
        return self.cache.get(("route hosts", id(scope)), scope.route_only_hosts, self.sidecar_routes)

    def unverified_tls_rule(self, host: str) -> K8sObject | None:
        """The first DestinationRule originating TLS without a CA for calls to ``host``."""
        return self.cache.get(("unverified TLS", host), self._unverified_tls.first_for, host)

    def wildcard_service_entry_host(self, host: str) -> str | None:
        return self._wildcard_hosts.first_match(host)

    def route_winners(self, service_host: str) -> tuple[K8sObject | None, K8sObject | None]:
        """Oldest and most specific of the overlapping sidecar VirtualServices (``None`` when fewer than two)."""
        return self.cache.get(("route winners", service_host), self._route_winners, service_host)

    def uses_waypoint(self, service: ServiceRef | None) -> bool:
        return self.cache.get(("waypoint", service), uses_waypoint, self.snapshot, service)

    def is_external_name(self, service: ServiceRef | None) -> bool:
        obj = self.snapshot.services.get(service) if service is not None else None
        return obj is not None and is_external_name_object(obj)

    @cached_property
    def _unverified_tls(self) -> UnverifiedTLSRules:
        return UnverifiedTLSRules(self.snapshot.of_kind("DestinationRule"))

    @cached_property
    def _wildcard_hosts(self) -> WildcardServiceEntryHosts:
        return WildcardServiceEntryHosts(self.snapshot.of_kind("ServiceEntry"))

    @cached_property
    def _sidecar_virtual_services(self) -> SidecarVirtualServices:
        return SidecarVirtualServices(self.snapshot.of_kind("VirtualService"))

    def _route_winners(self, service_host: str) -> tuple[K8sObject | None, K8sObject | None]:
        candidates = self._sidecar_virtual_services.overlapping(service_host)
        if len(candidates) < 2:
            return None, None
        return oldest_first_winner(candidates), most_specific_winner(service_host, candidates)
