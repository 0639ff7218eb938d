"""Deciding every edge twice: with the source version's semantics and with the target's.

For one edge the simulator finds the caller (workload, mesh membership, identity), the
destination workloads (following the edge, or the route a semantic switch changes),
the port they receive on, whether the caller reaches them over Istio mTLS
(PeerAuthentication mode, observed ``connection_security_policy``, auto mTLS), which
proxy enforces (sidecar, ztunnel, waypoint), and then asks ``preflight.istio.authz``.

Cost stays linear in edges plus destinations: what does not depend on the caller (targets,
workloads, mTLS settings, enforcing proxy, compiled policies) is settled once per
destination; what the caller's sidecar does with a call (Sidecar import, DestinationRule TLS
mode) is settled once per caller namespace and Sidecar scope, service and port; authorization
decisions are memoised on what the policies read; and an edge's
"after" side is only decided when a switch that differs between the sides can touch its
destination (otherwise it is the "before" side, the same object).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from preflight.engine.interface import Finding, FindingStatus
from preflight.gc_pause import collector_paused
from preflight.istio.authz import (
    AuthzDecision,
    Decision,
    Enforcer,
    PolicyView,
    Request,
)
from preflight.istio.cluster import Cluster
from preflight.istio.destination_rules import ClientTLS, DestinationRules, tls_blocks
from preflight.istio.external_name import AliasKind, ExternalNameAliases
from preflight.istio.hosts import is_wildcard, matches, resolve_short_name, service_fqdn
from preflight.istio.identity import parse_identity
from preflight.istio.peer_authentication import MtlsMode, MtlsSetting
from preflight.istio.routing import (
    SidecarVirtualServices,
    declared_protocol,
    most_specific_winner,
    oldest_first_winner,
    route_destinations,
)
from preflight.istio.scoping import host_list
from preflight.istio.service_registry import HostDefinition, host_definitions, pick_best_namespace, pick_first_namespace
from preflight.istio.sidecar_scope import (
    REGISTRY_ONLY,
    SidecarRoutes,
    SidecarScope,
    SidecarScopes,
    outbound_policy_mode,
)
from preflight.kb.interface import KBEntry, Severity
from preflight.simulate.interface import ChangeKind, EdgeDecision, EdgeOutcome, SimulationResult
from preflight.simulate.semantics import SWITCHES, Semantics, switch_of, watch_of
from preflight.snapshot.interface import K8sObject, ObjectRef, ServiceRef, Workload, list_at
from preflight.traffic.interface import Destination, Edge, Mtls, Source

HTTP_PROTOCOLS = frozenset({"http", "http2", "grpc", "grpc-web"})
# https: sidecars pass TLS through, so the inbound filter chain decides it as TCP.
TCP_PROTOCOLS = frozenset({"tcp", "tls", "https", "mongo", "mysql", "redis"})
USE_WAYPOINT_LABEL = "istio.io/use-waypoint"
_SEVERITY_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


@dataclass(frozen=True, slots=True)
class _Caller:
    mode: str | None  # "sidecar", "ambient", "none"; None when unknown
    principal: str | None  # without the spiffe:// scheme
    description: str
    namespace: str | None = None
    workload: Workload | None = None
    scope: SidecarScope | None = None  # the caller's Sidecar resource view, when one applies

    @property
    def has_sidecar(self) -> bool:
        """The caller's own proxy sets up its outbound calls ("mesh": in the mesh, proxy kind not known)."""
        return self.mode in ("sidecar", "mesh")


@dataclass(frozen=True, slots=True)
class _Target:
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


@dataclass(frozen=True, slots=True)
class _NamespaceChoice:
    """The namespaces a Sidecar-scoped caller's shared host resolves to under the old and the new rule."""

    host: str
    first: str  # alphabetically first (before 1.30)
    best: str | None  # Kubernetes Service first, else oldest ServiceEntry; None when that cannot be told
    via: str


_FIRST_RULE = "alphabetically first namespace"
_BEST_RULE = "a Kubernetes Service's namespace, else the oldest ServiceEntry's"


class _Arrival:
    """One target's calls as they reach one of its workloads.

    What does not depend on the caller (the proxy, the mTLS mode on the port, the
    enforcing proxy and its policies) is settled once; the decisions built from it are
    memoised, so edges that end in the same decision share one ``EdgeDecision``.
    """

    __slots__ = (
        "_contexts",
        "_decisions",
        "_refusals",
        "_views",
        "allow_policies",
        "enforcer",
        "mode",
        "policies",
        "setting",
        "target",
        "unenforced",
        "workload",
    )

    def __init__(self, world: _World, target: _Target, workload: Workload) -> None:
        self.target = target
        self.workload = workload
        self.mode = world.mesh_mode(workload)
        self.unenforced: EdgeDecision | None = None
        self.allow_policies: frozenset[ObjectRef] = frozenset()  # enforced ALLOW policies: calls rely on them
        self._contexts: dict[tuple[str, bool, str], tuple[str, ...]] = {}
        self._refusals: dict[tuple[bool | None, str], EdgeDecision] = {}
        self._decisions: dict[tuple[object, ...], EdgeDecision] = {}
        self._views: list[PolicyView | None] = [None, None]  # by ``http`` (False, True)
        if self.mode == "none":
            unenforced = f"{workload.namespace}/{workload.ref.name} has no proxy: nothing enforces policy"
            reasons = (*target.notes, unenforced)
            self.unenforced = EdgeDecision(Decision.ALLOW, reasons=reasons, destination=target.label)
        self.setting = world.mtls_setting(workload, target.target_port)
        self.enforcer = Enforcer.SIDECAR
        if self.mode == "ambient":
            self.enforcer = Enforcer.WAYPOINT if world.uses_waypoint(target.service) else Enforcer.ZTUNNEL
        if self.enforcer is Enforcer.WAYPOINT and target.service is not None:
            self.policies = world.authz.policy_set_for_service(target.service)
        else:
            self.policies = world.authz.policy_set_for_workload(workload)
        if self.mode != "none":
            self.allow_policies = frozenset(
                p.ref for p in self.policies.policies if p.action == "ALLOW" and not p.dry_run
            )

    @property
    def equivalence(self) -> object:
        """Arrivals with the same value decide every call alike (a workload without proxy is named in its reason)."""
        if self.unenforced is not None:
            return self.workload.ref
        return (self.mode, self.setting, self.enforcer, id(self.policies))

    def view(self, http: bool) -> PolicyView:
        """The enforced policies as HTTP (or other) requests meet them."""
        found = self._views[http]
        if found is None:
            found = self._views[http] = self.policies.view(http, self.enforcer)
        return found

    def refusal(self, mtls: bool | None, transport: str) -> EdgeDecision:
        """STRICT mode refuses a caller that does not (or may not) use Istio mTLS."""
        key = (mtls, transport)
        found = self._refusals.get(key)
        if found is None:
            setting = self.setting
            decision = Decision.DENY if mtls is False else Decision.UNKNOWN
            policy_ref = ObjectRef("PeerAuthentication", *setting.policy.split("/", 1)) if setting.policy else None
            reasons = (*self.target.notes, setting.reason, transport)
            found = self._refusals[key] = EdgeDecision(
                decision, setting.policy, None, reasons, destination=self.target.label, policy_ref=policy_ref
            )
        return found

    def unterminated(self, transport: str) -> EdgeDecision:
        """A DestinationRule makes the caller send Istio mTLS to a workload without a proxy to terminate it."""
        found = self._refusals.get((True, transport))  # refusals are for callers without mTLS: no clash
        if found is None:
            workload = f"{self.workload.namespace}/{self.workload.ref.name}"
            reason = f"{workload} has no proxy to terminate Istio mTLS: the TLS handshake fails"
            found = self._refusals[(True, transport)] = EdgeDecision(
                Decision.DENY, reasons=(*self.target.notes, transport, reason), destination=self.target.label
            )
        return found

    def context(self, transport: str, identity_unknown: bool, protocol_note: str = "") -> tuple[str, ...]:
        """The reasons every decision at this workload starts with."""
        key = (transport, identity_unknown, protocol_note)
        found = self._contexts.get(key)
        if found is None:
            reasons = [*self.target.notes, self.setting.reason, transport]
            if protocol_note:
                reasons.append(protocol_note)
            if identity_unknown:
                reasons.append("caller identity is unknown")
            if self.mode == "ambient":
                reasons.append(f"enforced by the {self.enforcer}")
            found = self._contexts[key] = tuple(reasons)
        return found

    def decision(self, context: tuple[str, ...], decided: Sequence[AuthzDecision]) -> EdgeDecision:
        # The context tuples and the authz decisions are kept alive by their memos for the whole
        # simulation, so their ids are a sound (and cheap) key.
        key = (id(context), id(decided[0])) if len(decided) == 1 else (id(context), *map(id, decided))
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = self._decision(context, decided)
        return found

    def _decision(self, context: tuple[str, ...], decided: Sequence[AuthzDecision]) -> EdgeDecision:
        label = self.target.label
        sides = [self._with_allow_policies(_from_authz(d, context, label), d) for d in decided]
        side = sides[0] if len(sides) == 1 else _combine(sides)
        if len(decided) > 1 and side.decision is Decision.UNKNOWN:
            unknown = "protocol unknown: HTTP and TCP traffic are decided differently"
            side = replace(side, reasons=(*side.reasons, unknown))
        return side

    def _with_allow_policies(self, side: EdgeDecision, decided: AuthzDecision) -> EdgeDecision:
        """Name the ALLOW policies a decision rests on: admitted by one, or refused by their implicit deny.

        A call refused by a DENY or CUSTOM policy would be refused whatever the ALLOW rules say.
        """
        if not self.allow_policies or (decided.policy is not None and decided.policy not in self.allow_policies):
            return side
        names = tuple(sorted(f"{ref.namespace}/{ref.name}" for ref in self.allow_policies))
        return replace(side, allow_policies=names)


class _Resolved:
    """A target and how its calls are decided at its workloads.

    Workloads whose decisions cannot differ (same proxy, mTLS setting, enforcer and
    policies) share one arrival, so each distinct one is decided once per edge; the
    combination over every workload, and the certificate check, are memoised.
    """

    __slots__ = ("_certified", "_combined", "arrivals", "fixed", "positions", "target")

    def __init__(self, world: _World, target: _Target) -> None:
        self.target = target
        self.fixed: EdgeDecision | None = None  # the decision when no caller can change it
        self.arrivals: tuple[_Arrival, ...] = ()
        self.positions: tuple[int, ...] = ()  # per workload of the target, the index of its arrival
        self._combined: dict[tuple[int, ...], EdgeDecision] = {}
        self._certified: dict[tuple[int, str], EdgeDecision] = {}
        if target.external:
            reasons = (*target.notes, "destination is outside the mesh: no Istio authorization at the server")
            self.fixed = EdgeDecision(Decision.ALLOW, reasons=reasons, destination=target.label)
        elif not target.workloads:
            reasons = (*target.notes, f"no workload of the snapshot serves {target.label}")
            self.fixed = EdgeDecision(Decision.UNKNOWN, reasons=reasons, destination=target.label)
        else:
            arrivals: list[_Arrival] = []
            positions = []
            by_key: dict[object, int] = {}
            for workload in target.workloads:
                arrival = _Arrival(world, target, workload)
                index = by_key.setdefault(arrival.equivalence, len(arrivals))
                if index == len(arrivals):
                    arrivals.append(arrival)
                positions.append(index)
            self.arrivals, self.positions = tuple(arrivals), tuple(positions)

    def combined(self, decisions: Sequence[EdgeDecision]) -> EdgeDecision:
        """The decisions of the distinct arrivals, combined over every workload of the target."""
        if len(decisions) == 1 and decisions[0].destination:
            return decisions[0]  # every workload decides alike, and combining alike decisions gives the same one
        # Decisions are held by the arrivals' memos for the whole simulation: their ids are a sound key.
        key = tuple(map(id, decisions))
        found = self._combined.get(key)
        if found is None:
            found = self._combined[key] = _combine([decisions[i] for i in self.positions])
        return found

    def certified(self, world: _World, side: EdgeDecision, entry: str) -> EdgeDecision:
        """``side`` once the caller verifies server certificates (``verify_certificate_at_client``)."""
        key = (id(side), entry)
        found = self._certified.get(key)
        if found is None:
            found = self._certified[key] = _with_certificate_check(world, side, self.target, entry)
        return found


class _Side:
    """One set of semantics, with the targets each destination resolves to under it."""

    def __init__(self, world: _World, semantics: Semantics) -> None:
        self.world = world
        self.semantics = semantics
        self.verify_certificates = semantics.verify_certificate_at_client
        self._resolved: dict[Destination, list[_Resolved]] = {}

    def default_deny(self) -> tuple[str, ...]:
        """Destinations decided on this side whose enforcing proxies apply an ALLOW policy."""
        return tuple(sorted({
            resolved.target.label
            for found in self._resolved.values()
            for resolved in found
            if any(a.unenforced is None and a.policies.default_deny for a in resolved.arrivals)
        }))

    def resolve(self, destination: Destination) -> list[_Resolved]:
        found = self._resolved.get(destination)
        if found is None:
            found = self._resolved[destination] = self.world.resolve(destination, self.semantics)
        return found


class _World:
    """Indexes over one snapshot, built once and shared by both sides of every edge."""

    def __init__(self, cluster: Cluster) -> None:
        snapshot = self.snapshot = cluster.snapshot
        control_plane = self.control_plane = cluster.control_plane
        self.cluster = cluster
        self.scope = cluster.scope
        self.authz = cluster.authorizations
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
        self._outbound: dict[tuple[object, ...], tuple[bool, str] | EdgeDecision | None] = {}
        self._route_hosts: dict[int, Mapping[str, K8sObject]] = {}
        self._choices: dict[tuple[int, str], _NamespaceChoice | None] = {}
        self._resolved_in: dict[tuple[object, ...], _Resolved] = {}
        self._settings: dict[tuple[ObjectRef, int | None], MtlsSetting] = {}
        self._unverified: dict[str, K8sObject | None] = {}
        self._routes: dict[str, tuple[K8sObject | None, K8sObject | None]] = {}
        self._resolved: dict[tuple[Destination, str | None, str | None], list[_Resolved]] = {}
        self.callers: dict[Source, _Caller] = {}

    def resolve(self, destination: Destination, semantics: Semantics) -> list[_Resolved]:
        """Where calls to ``destination`` arrive; shared by the sides whose routing switches agree."""
        alias = routing = None  # the routing switches that can matter for this destination
        service = destination.service_ref
        if service is None:
            if _is_host_destination(destination):
                routing = semantics.vs_most_specific_host
        elif self.is_external_name(service):
            alias = semantics.externalname_alias
        key = (destination, alias, routing)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = [_Resolved(self, t) for t in _targets(self, destination, semantics)]
        return found

    @cached_property
    def workloads_by_name(self) -> Mapping[tuple[str, str], Workload]:
        return {(w.namespace, w.ref.name): w for w in self.snapshot.workloads}

    @cached_property
    def sidecar_virtual_services(self) -> list[K8sObject]:
        return list(self.snapshot.of_kind("VirtualService"))

    @cached_property
    def unverified_tls_rules(self) -> tuple[Mapping[str, list[K8sObject]], list[tuple[str, K8sObject]]]:
        """DestinationRules originating TLS without a CA, by exact host and the wildcard rest.

        Built once so an edge looks up its host instead of scanning every rule (linear, not quadratic).
        """
        exact: dict[str, list[K8sObject]] = {}
        wildcards: list[tuple[str, K8sObject]] = []
        for rule in self.snapshot.of_kind("DestinationRule"):
            rule_host = rule.spec.get("host")
            if not isinstance(rule_host, str) or not any(
                b.originates_user_tls and not b.has_trust_anchor and not b.skips_verification for b in tls_blocks(rule)
            ):
                continue
            resolved = resolve_short_name(rule_host, rule.namespace)
            if is_wildcard(resolved):
                wildcards.append((resolved, rule))
            else:
                exact.setdefault(resolved, []).append(rule)
        return exact, wildcards

    def unverified_tls_rule(self, host: str) -> K8sObject | None:
        """The first DestinationRule (snapshot order) originating TLS without a CA for calls to ``host``."""
        if host in self._unverified:
            return self._unverified[host]
        exact, wildcards = self.unverified_tls_rules
        if is_wildcard(host):
            candidates = [rule for rule_host, rules in exact.items() for rule in rules if matches(rule_host, host)]
        else:
            candidates = list(exact.get(host, ()))
        candidates += [rule for rule_host, rule in wildcards if matches(rule_host, host)]
        found = min(candidates, key=lambda rule: (rule.namespace, rule.name), default=None)
        self._unverified[host] = found
        return found

    @cached_property
    def wildcard_service_entry_hosts(self) -> tuple[list[str], Mapping[str, int]]:
        """Wildcard ServiceEntry hosts in snapshot order, and the first position of each suffix they match."""
        hosts: list[str] = []
        for entry in self.snapshot.of_kind("ServiceEntry"):
            hosts.extend(h.lower() for h in host_list(entry) if is_wildcard(h.lower()))
        first_by_suffix: dict[str, int] = {}
        for position, host in enumerate(hosts):
            first_by_suffix.setdefault(host[1:], position)
        return hosts, first_by_suffix

    def wildcard_service_entry_host(self, host: str) -> str | None:
        """The first wildcard ServiceEntry host that matches ``host``.

        A name matches ``*suffix`` when it ends with the suffix, so its own suffixes are looked
        up instead of scanning every ServiceEntry for every host.
        """
        hosts, first_by_suffix = self.wildcard_service_entry_hosts
        if is_wildcard(host):
            return next((h for h in hosts if matches(h, host)), None)
        positions = [first_by_suffix[host[i:]] for i in range(len(host) + 1) if host[i:] in first_by_suffix]
        return hosts[min(positions)] if positions else None

    @cached_property
    def sidecar_virtual_service_index(self) -> SidecarVirtualServices:
        return SidecarVirtualServices(self.sidecar_virtual_services)

    def route_winners(self, service_host: str) -> tuple[K8sObject | None, K8sObject | None]:
        """Oldest and most specific of the overlapping sidecar VirtualServices (``None`` when fewer than two)."""
        found = self._routes.get(service_host)
        if found is None:
            candidates = self.sidecar_virtual_service_index.overlapping(service_host)
            if len(candidates) < 2:
                found = (None, None)
            else:
                found = (oldest_first_winner(candidates), most_specific_winner(service_host, candidates))
            self._routes[service_host] = found
        return found

    def outbound(self, caller: _Caller, target: _Target) -> tuple[bool, str] | EdgeDecision | None:
        """How the caller's sidecar sends calls to ``target``.

        A decision when its Sidecar resource sends them to the BlackHoleCluster; else whether it
        uses Istio mTLS and why (PassthroughCluster, or a DestinationRule's TLS mode); ``None``
        leaves auto mTLS. Memoised per caller namespace (and per caller workload only where
        selector rules live), Sidecar scope, service and port.
        """
        service = target.service
        if service is None or not caller.has_sidecar or caller.namespace is None:
            return None
        workload = caller.workload if caller.namespace in self.destination_rules.selector_namespaces else None
        scope = caller.scope
        key = (caller.namespace, workload.ref if workload else None, id(scope), service, target.service_port)
        if key in self._outbound:
            return self._outbound[key]
        host = service_fqdn(service)
        found: tuple[bool, str] | EdgeDecision | None
        if (
            scope is not None
            and not scope.imports(host, service.namespace, target.service_port)
            and host not in self.route_hosts(scope)
        ):
            found = _not_imported(scope, host, service.namespace, target)
        else:
            labels = workload.pod_labels if workload else None
            tls = self.destination_rules.client_tls(
                caller.namespace, host, service.namespace, target.service_port, labels
            )
            found = _configured_transport(tls) if tls else None
        self._outbound[key] = found
        return found

    @cached_property
    def sidecar_routes(self) -> SidecarRoutes:
        return SidecarRoutes(self.sidecar_virtual_services)

    @cached_property
    def shared_hosts(self) -> Mapping[str, list[HostDefinition]]:
        """Hosts defined in more than one namespace (Kubernetes Services and exported ServiceEntries)."""
        return {
            host: found for host, found in host_definitions(self.snapshot).items()
            if len({d.namespace for d in found}) > 1
        }

    def route_hosts(self, scope: SidecarScope) -> Mapping[str, K8sObject]:
        """Destination hosts of the VirtualServices a Sidecar scope imports, once per scope."""
        found = self._route_hosts.get(id(scope))
        if found is None:
            found = self._route_hosts[id(scope)] = scope.route_only_hosts(self.sidecar_routes)
        return found

    def namespace_choice(self, caller: _Caller, destination: Destination) -> _NamespaceChoice | None:
        """Which namespace's definition a Sidecar-scoped caller reaches a shared host in, by either rule.

        Only for a host reached through an imported VirtualService, defined in several namespaces
        but not the caller's, and not imported by name (an explicit import takes priority).
        """
        scope = caller.scope
        service = destination.service_ref
        host = service_fqdn(service) if service is not None else (destination.host or "").lower()
        definitions = self.shared_hosts.get(host)
        if scope is None or definitions is None or caller.namespace is None:
            return None
        key = (id(scope), host)
        if key in self._choices:
            return self._choices[key]
        choice = None
        route = self.route_hosts(scope).get(host)
        namespaces = sorted({d.namespace for d in definitions})
        if (
            route is not None
            and caller.namespace not in namespaces
            and not any(scope.imports(host, n, destination.service_port) for n in namespaces)
        ):
            via = (
                f"Sidecar {scope.name} reaches {host} through VirtualService {route.namespace}/{route.name}; "
                f"{host} is defined in {', '.join(namespaces)}"
            )
            choice = _NamespaceChoice(host, pick_first_namespace(definitions), pick_best_namespace(definitions), via)
        self._choices[key] = choice
        return choice

    def resolved_in(self, choice: _NamespaceChoice, namespace: str | None, port: int | None, rule: str) -> _Resolved:
        """The definition of a shared host in one namespace, as a target."""
        key = (choice.host, namespace, port, choice.via, rule)
        found = self._resolved_in.get(key)
        if found is None:
            found = self._resolved_in[key] = _Resolved(self, self._definition_target(choice, namespace, port, rule))
        return found

    def _definition_target(self, choice: _NamespaceChoice, namespace: str | None, port: int | None,
                           rule: str) -> _Target:
        if namespace is None:
            note = f"{choice.via}: {rule} needs the ServiceEntries' creation times, which the snapshot lacks"
            return _Target(choice.host, None, (), port, None, notes=(note,))
        note = f"{choice.via}: istiod picks {namespace} ({rule})"
        definition = next(d for d in self.shared_hosts[choice.host] if d.namespace == namespace)
        if definition.kubernetes:
            return _service_target(self, ServiceRef(namespace, definition.obj.name), port, None, notes=(note,))
        return _Target(f"{namespace}/{choice.host}", None, (), port, None, external=True,
                       notes=(f"{note}: ServiceEntry {namespace}/{definition.obj.name}",))

    @cached_property
    def external_names(self) -> ExternalNameAliases:
        return ExternalNameAliases(self.snapshot)

    def black_hole(self, caller: _Caller, target: _Target) -> EdgeDecision | None:
        """The caller's sidecar drops unknown traffic (``REGISTRY_ONLY``): the decision, else ``None``."""
        scope = caller.scope
        if scope is None:
            scope = self.sidecar_scopes.scope_for(caller.namespace, caller.workload) if caller.namespace else None
        policy = scope.outbound_policy if scope is not None else self.sidecar_scopes.mesh_policy
        if policy != REGISTRY_ONLY:
            return None
        sidecar = scope.sidecar if scope is not None else None
        if sidecar is None or outbound_policy_mode(sidecar.spec) is None:
            sidecar = None  # the mesh-wide setting decides
        where = f"Sidecar {sidecar.namespace}/{sidecar.name}" if sidecar is not None else "meshConfig"
        reason = f"{where} sets outboundTrafficPolicy REGISTRY_ONLY: the call goes to the BlackHoleCluster and fails"
        ref = ObjectRef("Sidecar", sidecar.namespace, sidecar.name) if sidecar is not None else None
        name = f"{sidecar.namespace}/{sidecar.name}" if sidecar is not None else None
        return EdgeDecision(Decision.DENY, name, None, (*target.notes, reason), destination=target.label,
                            policy_ref=ref)

    def mesh_mode(self, workload: Workload) -> str:
        return self.cluster.membership(workload).mode

    def mtls_setting(self, workload: Workload, port: int | None) -> MtlsSetting:
        key = (workload.ref, port)
        setting = self._settings.get(key)
        if setting is None:
            setting = self._settings[key] = self.peers.setting_for(workload, port)
        return setting

    def uses_waypoint(self, service: ServiceRef | None) -> bool:
        if service is None:
            return False
        obj = self.snapshot.services.get(service)
        if obj is not None and obj.labels.get(USE_WAYPOINT_LABEL, "none") != "none":
            return True
        namespace_labels = self.snapshot.namespace_labels.get(service.namespace, {})
        return namespace_labels.get(USE_WAYPOINT_LABEL, "none") != "none"

    def is_external_name(self, service: ServiceRef | None) -> bool:
        obj = self.snapshot.services.get(service) if service is not None else None
        return obj is not None and obj.spec.get("type") == "ExternalName"


def simulate(
    cluster: Cluster,
    entries_on_path: Sequence[KBEntry],
    edges: Iterable[Edge],
    traffic_is_observed: bool,
    *,
    earlier_entries: Iterable[KBEntry] = (),
    kept_old_behaviour: Collection[str] = (),
) -> SimulationResult:
    """Decide every edge of ``cluster`` before and after the upgrade.

    ``entries_on_path``: KB entries the upgrade path includes; their ``simulation``
    switches apply on the "after" side only. ``earlier_entries``: entries already in
    effect at the source version (their switches apply on both sides).
    ``kept_old_behaviour``: KB ids the snapshot already mitigates (flag or
    compatibilityVersion), whose switches therefore do not apply.
    """
    world = _World(cluster)
    kept = set(kept_old_behaviour)
    before_semantics = Semantics().with_entries(e for e in earlier_entries if e.id not in kept)
    switching = [e for e in entries_on_path if switch_of(e) is not None and e.id not in kept]
    after_semantics = before_semantics.with_entries(switching)
    simulation = _Simulation(world, before_semantics, switching)
    watching = [(e.id, watch) for e in entries_on_path if (watch := watch_of(e)) is not None and e.id not in kept]
    with collector_paused():
        outcomes = [simulation.outcome(edge) for edge in edges]
        if watching:
            outcomes = [_watched(outcome, watching) for outcome in outcomes]
    notes = []
    if kept & {e.id for e in entries_on_path if switch_of(e) is not None}:
        notes.append(
            "Changes kept at their old behaviour by the snapshot are not simulated: "
            + ", ".join(sorted(kept & {e.id for e in entries_on_path}))
        )
    return SimulationResult(
        outcomes=tuple(outcomes),
        traffic_is_observed=traffic_is_observed,
        source_semantics=before_semantics.active,
        applied=tuple(e.id for e in switching if e.id in after_semantics.active),
        notes=tuple(notes),
        watched=tuple(entry_id for entry_id, _ in watching),
        default_deny=simulation.before.default_deny(),
    )


def _watched(outcome: EdgeOutcome, watching: Sequence[tuple[str, str]]) -> EdgeOutcome:
    """Mark the call with the field reports that concern it; its decisions stay as decided."""
    marks = tuple(entry_id for entry_id, watch in watching if _concerns(watch, outcome))
    return replace(outcome, watch=marks) if marks else outcome


def _concerns(watch: str, outcome: EdgeOutcome) -> bool:
    if watch == "allow_implicit_deny":
        return bool(outcome.before.allow_policies or outcome.after.allow_policies)
    return False


class _Simulation:
    """Both sides of every edge; the "after" side only where a switch that differs can touch the edge."""

    def __init__(self, world: _World, before: Semantics, switching: Sequence[KBEntry]) -> None:
        self.world = world
        self.before = _Side(world, before)
        # Each entry's switch applied in turn, so a difference is attributed to the entry that made it.
        self.steps: list[tuple[KBEntry, _Side]] = []
        current = before
        for entry in switching:
            current = current.with_entries([entry])
            self.steps.append((entry, _Side(world, current)))
        self.after = self.steps[-1][1] if self.steps else self.before
        self.differing = frozenset(
            name for name in SWITCHES if getattr(before, name) != getattr(self.after.semantics, name)
        )
        self._routes: dict[Destination, tuple[list[_Resolved], bool]] = {}

    def outcome(self, edge: Edge) -> EdgeOutcome:
        world = self.world
        caller = world.callers.get(edge.source)
        if caller is None:
            caller = world.callers[edge.source] = _caller(world, edge)
        if caller.scope is not None and world.shared_hosts:
            choice = world.namespace_choice(caller, edge.destination)
            if choice is not None:
                return self._chosen_outcome(edge, caller, choice)
        route = self._routes.get(edge.destination)
        if route is None:
            route = self._routes[edge.destination] = self._route(edge.destination)
        resolved, touched = route
        if len(resolved) == 1:
            before = _decide_target(world, edge, caller, resolved[0], self.before)
        else:
            before = _combine([_decide_target(world, edge, caller, r, self.before) for r in resolved])
        if not touched:
            return EdgeOutcome(edge, before, before)
        after = _decide(world, edge, caller, self.after)
        if _kind(before, after) is None:
            return EdgeOutcome(edge, before, after)
        previous, change = before, None
        for entry, side in self.steps:
            decided = _decide(world, edge, caller, side)
            if change is None and _kind(previous, decided) is not None:
                change = entry.id
            previous = decided
        kind = _kind(before, previous)
        return EdgeOutcome(edge, before, previous, change if kind is not None else None, kind)

    def _chosen_outcome(self, edge: Edge, caller: _Caller, choice: _NamespaceChoice) -> EdgeOutcome:
        """Both sides of an edge to a shared host, each in the namespace its rule picks."""
        world, port = self.world, edge.destination.service_port

        def resolved(side: _Side) -> _Resolved:
            if side.semantics.sidecar_pick_best_service_namespace:
                rule = f"{_BEST_RULE}, {side.semantics.sidecar_pick_best_service_namespace}"
                return world.resolved_in(choice, choice.best, port, rule)
            return world.resolved_in(choice, choice.first, port, _FIRST_RULE)

        before_resolved, after_resolved = resolved(self.before), resolved(self.after)
        before = _decide_target(world, edge, caller, before_resolved, self.before)
        after = _decide_target(world, edge, caller, after_resolved, self.after)
        kind = _kind(before, after)
        if kind is None:
            return EdgeOutcome(edge, before, after)
        change = self.after.semantics.sidecar_pick_best_service_namespace
        if before_resolved is after_resolved or change == self.before.semantics.sidecar_pick_best_service_namespace:
            change = next((e.id for e, _ in self.steps), None)  # another switch made the difference
        return EdgeOutcome(edge, before, after, change, kind)

    def _route(self, destination: Destination) -> tuple[list[_Resolved], bool]:
        """The destination's targets on the "before" side, and whether its "after" side needs deciding."""
        return self.before.resolve(destination), bool(self.steps) and self.touches(destination)

    def touches(self, destination: Destination) -> bool:
        """Can a switch that differs between the sides change a decision for calls to ``destination``?

        Each test mirrors where the simulator reads that switch; a destination none of them
        touches is decided the same on both sides, so its "after" side is its "before".
        """
        world, differing = self.world, self.differing
        if "externalname_alias" in differing and world.is_external_name(destination.service_ref):
            return True
        if "vs_most_specific_host" in differing and _is_host_destination(destination):
            return True
        if "verify_certificate_at_client" not in differing:
            return False
        for side in (self.before, self.after):
            for resolved in side.resolve(destination):
                if world.unverified_tls_rule(_certificate_host(resolved.target)) is not None:
                    return True
        return False


def _kind(before: EdgeDecision, after: EdgeDecision) -> ChangeKind | None:
    if before.decision is Decision.ALLOW and after.decision is Decision.DENY:
        return ChangeKind.BREAKS
    if before.decision is Decision.DENY and after.decision is Decision.ALLOW:
        return ChangeKind.OPENS
    if before.decision is not after.decision:
        return ChangeKind.UNCERTAIN
    if before.destination != after.destination:
        return ChangeKind.REROUTES
    return None


def _decide(world: _World, edge: Edge, caller: _Caller, side: _Side) -> EdgeDecision:
    """The decision for one edge under one side's semantics."""
    resolved = side.resolve(edge.destination)
    if len(resolved) == 1:
        return _decide_target(world, edge, caller, resolved[0], side)
    return _combine([_decide_target(world, edge, caller, r, side) for r in resolved])


def _caller(world: _World, edge: Edge) -> _Caller:
    source = edge.source
    principal = parse_identity(source.principal)
    workload = None
    if source.namespace and source.workload:
        workload = world.workloads_by_name.get((source.namespace, source.workload))
    scopes = world.sidecar_scopes
    if workload is not None:
        mode = world.mesh_mode(workload)
        if principal is None and mode != "none":
            principal = world.cluster.identity(workload)
        scope = scopes.scope_for(workload.namespace, workload) if mode == "sidecar" and scopes.any else None
        return _Caller(mode, principal.principal if principal else None, f"{source} ({mode})", workload.namespace,
                       workload, scope)
    namespace = source.namespace or (principal.namespace if principal else None)
    if source.in_mesh is False:
        return _Caller("none", None, f"{source} (outside the mesh)", namespace)
    if source.in_mesh is True or principal is not None:
        scope = scopes.scope_for(namespace) if namespace and scopes.any else None
        return _Caller("mesh", principal.principal if principal else None, f"{source} (in the mesh)", namespace,
                       scope=scope)
    return _Caller(None, None, f"{source} (mesh membership unknown)", namespace)


def _is_host_destination(destination: Destination) -> bool:
    return destination.service_ref is None and not (destination.workload and destination.namespace)


def _targets(world: _World, destination: Destination, semantics: Semantics) -> list[_Target]:
    service = destination.service_ref
    if service is None and destination.workload and destination.namespace:
        workload = world.workloads_by_name.get((destination.namespace, destination.workload))
        workloads = (workload,) if workload else ()
        label = f"{destination.namespace}/{destination.workload}"
        return [_Target(label, None, workloads, destination.service_port, destination.target_port)]
    if service is None:
        return _host_targets(world, destination, semantics)
    obj = world.snapshot.services.get(service)
    if obj is not None and obj.spec.get("type") == "ExternalName":
        return [_external_name_target(world, destination, obj, semantics)]
    return [_service_target(world, service, destination.service_port, destination.target_port)]


def _service_target(
    world: _World, service: ServiceRef, service_port: int | None, target_port: int | None, **extra: Any
) -> _Target:
    workloads = tuple(world.snapshot.workloads_of_service(service))
    if target_port is None and service_port is not None:
        target_port = _target_port(world, service, service_port, workloads)
    entry = _service_port(world, service, service_port)
    protocol = declared_protocol(entry) if entry is not None else None
    return _Target(str(service), service, workloads, service_port, target_port, declared_protocol=protocol, **extra)


def _service_port(world: _World, service: ServiceRef, port: int | None) -> Mapping[str, Any] | None:
    obj = world.snapshot.services.get(service)
    if obj is None or port is None:
        return None
    return next((e for e in list_at(obj.spec, "ports") if isinstance(e, Mapping) and e.get("port") == port), None)


def _target_port(
    world: _World, service: ServiceRef, port: int, workloads: Sequence[Workload]
) -> int | None:
    """The port the pods receive on for a Service port (``targetPort``, by number or container port name)."""
    obj = world.snapshot.services.get(service)
    if obj is None:
        return None
    for entry in list_at(obj.spec, "ports"):
        if not isinstance(entry, Mapping) or entry.get("port") != port:
            continue
        target = entry.get("targetPort", port)
        if isinstance(target, int):
            return target
        if isinstance(target, str) and target.isdigit():
            return int(target)
        return _named_port(str(target), workloads)
    return port


def _named_port(name: str, workloads: Sequence[Workload]) -> int | None:
    numbers = set()
    for workload in workloads:
        for container in list_at(workload.pod_spec, "containers"):
            for declared in list_at(container, "ports") if isinstance(container, Mapping) else []:
                if isinstance(declared, Mapping) and declared.get("name") == name:
                    numbers.add(declared.get("containerPort"))
    return numbers.pop() if len(numbers) == 1 and isinstance(next(iter(numbers)), int) else None


def _external_name_target(world: _World, destination: Destination, obj: K8sObject, semantics: Semantics) -> _Target:
    alias = ServiceRef(obj.namespace, obj.name)
    target_host = str(obj.spec.get("externalName") or "").lower().rstrip(".")
    aliased = world.scope.hosts.service_for(target_host)
    if aliased is None:
        resolved = world.external_names.target(alias)
        if semantics.externalname_alias and resolved.kind in (AliasKind.UNREGISTERED, AliasKind.LOOP):
            note = (
                f"ExternalName {alias} is an alias of {resolved.host or 'nothing'}, which no Service or ServiceEntry "
                f"defines: istiod generates nothing for it, so the caller's proxy sees unknown traffic "
                f"({semantics.externalname_alias})"
            )
            return _Target(str(alias), alias, (), destination.service_port, None, external=True, notes=(note,),
                           unregistered=True)
        return _Target(str(alias), alias, (), destination.service_port, None, external=True,
                       notes=(f"ExternalName {alias} points at {target_host or 'nothing'}, outside the mesh",))
    port = destination.service_port
    if semantics.externalname_alias:
        note = (
            f"ExternalName {alias} is an alias of {aliased}: the caller's proxy uses Istio mTLS "
            f"({semantics.externalname_alias})"
        )
        return _service_target(world, aliased, port, None, transport_changed=True, notes=(note,))
    plaintext = (
        f"ExternalName {alias} resolves by DNS to {target_host}: the caller's proxy treats it as an external "
        "name and sends plaintext"
    )
    return _service_target(world, aliased, port, None, plaintext_reason=plaintext, transport_changed=True)


def _host_targets(world: _World, destination: Destination, semantics: Semantics) -> list[_Target]:
    host = (destination.host or "").lower()
    if not host:
        return [_Target("unknown", None, (), destination.service_port, None, external=True,
                        notes=("destination is not named in the traffic data",))]
    default = _Target(host, None, (), destination.service_port, None, external=True)
    service_host = world.wildcard_service_entry_host(host)
    if service_host is None:
        return [default]
    oldest, specific = world.route_winners(service_host)
    winner = specific if semantics.vs_most_specific_host else oldest
    if winner is None or oldest is specific:
        return [default]
    targets = []
    for routed in sorted(route_destinations(winner)):
        fqdn = resolve_short_name(routed, winner.namespace)
        service = world.scope.hosts.service_for(fqdn)
        note = f"VirtualService {winner.namespace}/{winner.name} routes {service_host} to {routed}"
        if service is not None:
            targets.append(_service_target(world, service, destination.service_port, None, notes=(note,)))
        else:
            targets.append(_Target(fqdn, None, (), destination.service_port, None, external=True, notes=(note,)))
    return targets or [default]


def _decide_target(
    world: _World, edge: Edge, caller: _Caller, resolved: _Resolved, side: _Side
) -> EdgeDecision:
    decision = resolved.fixed
    if resolved.target.unregistered and caller.has_sidecar:
        black_hole = world.black_hole(caller, resolved.target)
        if black_hole is not None:
            return black_hole
    if decision is None:
        arrivals = resolved.arrivals
        configured = world.outbound(caller, resolved.target)
        if isinstance(configured, EdgeDecision):
            return configured  # the caller's sidecar drops the call before it leaves
        if len(resolved.positions) == 1:
            decision = _decide_workload(edge, caller, arrivals[0], configured)
        else:
            decision = resolved.combined([_decide_workload(edge, caller, a, configured) for a in arrivals])
    elif not resolved.target.external:
        return decision  # no workload serves it: unknown already, with no server certificate to verify
    if side.verify_certificates:
        return resolved.certified(world, decision, side.verify_certificates)
    return decision


def _decide_workload(
    edge: Edge,
    caller: _Caller,
    arrival: _Arrival,
    configured: tuple[bool, str] | None = None,
) -> EdgeDecision:
    if arrival.unenforced is not None:
        if configured is not None and configured[0] and edge.mtls is not Mtls.NONE:
            return arrival.unterminated(configured[1])
        return arrival.unenforced
    setting = arrival.setting
    mtls, transport = _transport(edge, caller, arrival.target, setting.mode, configured)
    if setting.mode is MtlsMode.STRICT and mtls is not True:
        return arrival.refusal(mtls, transport)
    protocol, protocol_note = edge.protocol, ""
    declared = arrival.target.declared_protocol
    if declared and protocol == "unknown":
        # The traffic data does not say; the Service port settles it, as it does for istiod.
        protocol, protocol_note = declared, f"protocol {declared}, as the Service port declares it"
    elif declared and _protocol_options(declared) != _protocol_options(protocol) and _BOTH not in (
        _protocol_options(declared), _protocol_options(protocol)
    ):
        # The receiving proxy picks its filter chain by the port's declared protocol, not by what is sent.
        protocol_note = (
            f"the Service port declares {declared}: the proxy handles the calls as {declared}, not {protocol}"
        )
        protocol = declared
    context = arrival.context(transport, mtls is True and caller.principal is None, protocol_note)
    principal = caller.principal if mtls else None
    port = arrival.target.target_port
    enforcer = arrival.enforcer
    decided = [
        arrival.view(http).evaluate(
            Request(
                http=http,
                mtls=mtls,
                principal=principal,
                port=port,
                method=edge.method if http else None,
                path=edge.path if http else None,
                enforcer=enforcer,
            )
        )
        for http in _protocol_options(protocol)
    ]
    return arrival.decision(context, decided)


def _transport(
    edge: Edge, caller: _Caller, target: _Target, mode: MtlsMode, configured: tuple[bool, str] | None = None
) -> tuple[bool | None, str]:
    """Does the caller reach the workload over Istio mTLS? With the reason.

    ``configured`` is what a DestinationRule's TLS mode makes the caller's sidecar send, which
    replaces auto mTLS; traffic data that shows the transport still wins for an unchanged route.
    """
    if target.plaintext_reason:
        return False, target.plaintext_reason
    if not target.transport_changed and edge.mtls is Mtls.MUTUAL:
        return True, "traffic data shows mutual TLS"
    if not target.transport_changed and edge.mtls is Mtls.NONE:
        return False, "traffic data shows plaintext"
    if caller.mode == "none":
        return False, "caller has no proxy: it sends plaintext, with no principal"
    if caller.mode is None:
        return None, "whether the caller is in the mesh is unknown"
    if configured is not None:
        return configured
    if mode is MtlsMode.DISABLE:
        return False, "auto mTLS sends plaintext to a workload with mTLS disabled"
    return True, "caller's proxy uses Istio mTLS (auto mTLS)"


def _not_imported(
    scope: SidecarScope, host: str, namespace: str, target: _Target
) -> tuple[bool, str] | EdgeDecision:
    """A call to a host the caller's Sidecar does not import: PassthroughCluster, or BlackHoleCluster."""
    missing = f"Sidecar {scope.name} does not import {namespace}/{host}"
    if scope.outbound_policy == REGISTRY_ONLY:
        reason = f"{missing}: with outboundTrafficPolicy REGISTRY_ONLY the call goes to the BlackHoleCluster and fails"
        sidecar = scope.sidecar
        ref = ObjectRef("Sidecar", sidecar.namespace, sidecar.name) if sidecar is not None else None
        return EdgeDecision(Decision.DENY, scope.name, None, (*target.notes, reason), destination=target.label,
                            policy_ref=ref)
    return False, (
        f"{missing}: with outboundTrafficPolicy ALLOW_ANY the call leaves through the PassthroughCluster as "
        "plaintext, without Istio mTLS"
    )


def _configured_transport(tls: ClientTLS) -> tuple[bool, str]:
    """What a DestinationRule TLS mode makes the client sidecar send: Istio mTLS or not, and why."""
    rule = f"DestinationRule {tls.rule_name} ({tls.block.where})"
    if tls.mode == "ISTIO_MUTUAL":
        return True, f"{rule} sets tls mode ISTIO_MUTUAL: the caller's proxy uses Istio mTLS"
    if tls.block.originates_user_tls:
        return False, (
            f"{rule} sets tls mode {tls.mode}: the caller's proxy originates TLS to the application, "
            "not Istio mTLS, so the server sees no principal"
        )
    return False, f"{rule} sets tls mode {tls.mode}: the caller's proxy sends plaintext instead of auto mTLS"


_HTTP_ONLY, _TCP_ONLY, _BOTH = (True,), (False,), (True, False)


def _protocol_options(protocol: str) -> tuple[bool, ...]:
    name = protocol.lower()
    if name in HTTP_PROTOCOLS:
        return _HTTP_ONLY
    if name in TCP_PROTOCOLS:
        return _TCP_ONLY
    return _BOTH


def _certificate_host(target: _Target) -> str:
    return target.label if target.service is None else service_fqdn(target.service)


def _with_certificate_check(world: _World, side: EdgeDecision, target: _Target, entry: str) -> EdgeDecision:
    if side.decision is Decision.DENY:
        return side
    rule = world.unverified_tls_rule(_certificate_host(target))
    if rule is None:
        return side
    reason = (
        f"{entry}: DestinationRule {rule.namespace}/{rule.name} originates TLS without a CA; the "
        "caller now verifies the server certificate against the OS bundle, which a snapshot cannot check"
    )
    # The DestinationRule now decides the call: its finding is the one the edge belongs to.
    return replace(side, decision=Decision.UNKNOWN, reasons=(*side.reasons, reason),
                   policy=f"{rule.namespace}/{rule.name}", rule=None, policy_ref=rule.ref)


def _from_authz(decided: AuthzDecision, context: tuple[str, ...], destination: str) -> EdgeDecision:
    return EdgeDecision(
        decision=decided.decision,
        policy=decided.policy_name,
        rule=decided.rule,
        reasons=(*context, *decided.reasons),
        dry_run=decided.dry_run,
        destination=destination,
        policy_ref=decided.policy,
    )


def _combine(sides: Sequence[EdgeDecision]) -> EdgeDecision:
    """One decision for several workloads, routes or protocols: theirs when they agree, else unknown."""
    if not sides:
        return EdgeDecision(Decision.UNKNOWN, reasons=("no destination could be resolved",))
    first = sides[0]
    destinations = sorted({s.destination for s in sides if s.destination})
    destination = ", ".join(destinations) or None
    allow_policies = first.allow_policies
    if any(s.allow_policies != allow_policies for s in sides):
        allow_policies = tuple(sorted({p for s in sides for p in s.allow_policies}))
    if all(s.decision is first.decision for s in sides):
        if first.destination == destination and first.allow_policies == allow_policies:
            return first
        return replace(first, destination=destination, allow_policies=allow_policies)
    summary = "; ".join(f"{s.destination or '?'}: {s.decision}" for s in sides)
    reasons = (f"destinations disagree ({summary})", *dict.fromkeys(r for s in sides for r in s.reasons))
    return EdgeDecision(Decision.UNKNOWN, reasons=reasons, destination=destination, allow_policies=allow_policies)


def _raised(severity: Severity, steps: int = 1) -> Severity:
    index = min(_SEVERITY_ORDER.index(severity) + steps, len(_SEVERITY_ORDER) - 1)
    return _SEVERITY_ORDER[index]


def _severity(outcome: EdgeOutcome, entry: KBEntry, traffic_is_observed: bool) -> Severity:
    if outcome.kind is ChangeKind.OPENS:
        return entry.severity if entry.severity.rank >= Severity.HIGH.rank else Severity.HIGH
    if outcome.kind is ChangeKind.BREAKS and traffic_is_observed and outcome.edge.requests > 0:
        return _raised(entry.severity)
    return entry.severity


_VERBS = {
    ChangeKind.BREAKS: "will be denied after the upgrade",
    ChangeKind.OPENS: "will be allowed after the upgrade although it is denied today",
    ChangeKind.UNCERTAIN: "cannot be decided after the upgrade",
    ChangeKind.REROUTES: "will reach another destination after the upgrade",
}


def findings_for_changed_edges(result: SimulationResult, entries: Iterable[KBEntry]) -> list[Finding]:
    """One finding per edge whose decision or destination differs, under the KB entry that changes it."""
    by_id = {entry.id: entry for entry in entries}
    findings = []
    for outcome in result.changed:
        entry = by_id.get(outcome.change or "")
        if entry is None or outcome.kind is None:
            continue
        edge = outcome.edge
        service = edge.destination.service_ref
        resource = outcome.after.policy_ref or outcome.before.policy_ref
        if resource is None:
            resource = ObjectRef("Service", service.namespace, service.name) if service else ObjectRef(
                "Edge", edge.destination.namespace or "", str(edge.destination)
            )
        volume = f"{edge.requests} requests" if result.traffic_is_observed else "declared, not observed"
        message = (
            f"{edge.source} → {edge.destination} ({edge.protocol}, {volume}) {_VERBS[outcome.kind]}: "
            f"{_summary(outcome.before)} → {_summary(outcome.after)}"
        )
        findings.append(
            Finding(
                change=entry.id,
                introduced_in=str(entry.introduced_in),
                severity=_severity(outcome, entry, result.traffic_is_observed),
                status=FindingStatus.AFFECTED,
                resource=resource,
                services=(service,) if service else (),
                message=message,
                details={
                    "edge": outcome.id,
                    "caller": str(edge.source),
                    "requests": str(edge.requests),
                    "before": _summary(outcome.before),
                    "after": _summary(outcome.after),
                    "why_before": " | ".join(outcome.before.reasons),
                    "why_after": " | ".join(outcome.after.reasons),
                },
            )
        )
    return findings


def _summary(side: EdgeDecision) -> str:
    if side.policy:
        rule = f" rule {side.rule}" if side.rule is not None else ""
        return f"{side.decision} by {side.policy}{rule}"
    return str(side.decision)
