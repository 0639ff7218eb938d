"""Deciding every edge twice: with the source version's semantics and with the target's.

For one edge the simulator finds the caller (workload, mesh membership, identity), the
destination workloads (following the edge, or the route a semantic switch changes),
the port they receive on, whether the caller reaches them over Istio mTLS
(PeerAuthentication mode, observed ``connection_security_policy``, auto mTLS), which
proxy enforces (sidecar, ztunnel, waypoint), and then asks ``preflight.istio.authz``.
Policies are indexed per workload once, so the cost per edge is the rules of its
destination.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from preflight.engine.interface import Finding, FindingStatus
from preflight.istio.authz import (
    AuthorizationPolicies,
    AuthzDecision,
    Decision,
    Enforcer,
    Request,
    evaluate,
)
from preflight.istio.control_plane import ControlPlane
from preflight.istio.destination_rules import tls_blocks
from preflight.istio.hosts import is_wildcard, matches, resolve_short_name, service_fqdn
from preflight.istio.identity import Identity, parse_identity
from preflight.istio.injection import membership
from preflight.istio.peer_authentication import MtlsMode, MtlsSetting, PeerAuthentications
from preflight.istio.routing import (
    most_specific_winner,
    oldest_first_winner,
    overlapping_virtual_services,
    route_destinations,
)
from preflight.istio.scoping import Scope, host_list
from preflight.kb.interface import KBEntry, Severity
from preflight.simulate.interface import ChangeKind, EdgeDecision, EdgeOutcome, SimulationResult
from preflight.simulate.semantics import Semantics, switch_of
from preflight.snapshot.interface import K8sObject, ObjectRef, ServiceRef, Workload, list_at
from preflight.snapshot.model import Snapshot
from preflight.traffic.interface import Destination, Edge, Mtls, Source

HTTP_PROTOCOLS = frozenset({"http", "http2", "grpc", "grpc-web"})
TCP_PROTOCOLS = frozenset({"tcp", "tls", "mongo", "mysql", "redis"})
USE_WAYPOINT_LABEL = "istio.io/use-waypoint"
_SEVERITY_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


@dataclass(frozen=True)
class _Caller:
    mode: str | None  # "sidecar", "ambient", "none"; None when unknown
    principal: str | None  # without the spiffe:// scheme
    description: str


@dataclass(frozen=True)
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


class _World:
    """Indexes over one snapshot, built once and shared by both sides of every edge."""

    def __init__(self, snapshot: Snapshot, control_plane: ControlPlane) -> None:
        self.snapshot = snapshot
        self.control_plane = control_plane
        self.scope = Scope(snapshot, control_plane)
        self.authz = AuthorizationPolicies(snapshot, control_plane, self.scope)
        self.peers = PeerAuthentications(snapshot, control_plane, self.scope)
        self._decisions: dict[tuple[ObjectRef, Request, str | None], AuthzDecision] = {}
        self._modes: dict[ObjectRef, str] = {}
        self._settings: dict[tuple[ObjectRef, int | None], MtlsSetting] = {}
        self.callers: dict[Source, _Caller] = {}
        self.targets: dict[tuple[Destination, Semantics], list[_Target]] = {}

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

    @cached_property
    def service_entry_hosts(self) -> list[str]:
        hosts: list[str] = []
        for entry in self.snapshot.of_kind("ServiceEntry"):
            hosts.extend(h.lower() for h in host_list(entry))
        return hosts

    def mesh_mode(self, workload: Workload) -> str:
        mode = self._modes.get(workload.ref)
        if mode is None:
            labels = self.snapshot.namespace_labels.get(workload.namespace, {})
            mode = self._modes[workload.ref] = membership(workload, labels).mode
        return mode

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

    def decide(self, workload: Workload, request: Request, service: ServiceRef | None) -> AuthzDecision:
        key = (workload.ref, request, str(service) if request.enforcer is Enforcer.WAYPOINT else None)
        found = self._decisions.get(key)
        if found is None:
            if request.enforcer is Enforcer.WAYPOINT and service is not None:
                policies = self.authz.for_service(service)
            else:
                policies = self.authz.for_workload(workload)
            found = evaluate(policies, request)
            self._decisions[key] = found
        return found


def simulate(
    snapshot: Snapshot,
    control_plane: ControlPlane,
    entries_on_path: Sequence[KBEntry],
    edges: Iterable[Edge],
    traffic_is_observed: bool,
    *,
    earlier_entries: Iterable[KBEntry] = (),
    kept_old_behaviour: Collection[str] = (),
) -> SimulationResult:
    """Decide every edge before and after the upgrade.

    ``entries_on_path``: KB entries the upgrade path includes; their ``simulation``
    switches apply on the "after" side only. ``earlier_entries``: entries already in
    effect at the source version (their switches apply on both sides).
    ``kept_old_behaviour``: KB ids the snapshot already mitigates (flag or
    compatibilityVersion), whose switches therefore do not apply.
    """
    world = _World(snapshot, control_plane)
    kept = set(kept_old_behaviour)
    before_semantics = Semantics().with_entries(e for e in earlier_entries if e.id not in kept)
    switching = [e for e in entries_on_path if switch_of(e) is not None and e.id not in kept]
    after_semantics = before_semantics.with_entries(switching)
    outcomes = [_outcome(world, edge, before_semantics, switching) for edge in edges]
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
    )


def _outcome(world: _World, edge: Edge, before_semantics: Semantics, switching: list[KBEntry]) -> EdgeOutcome:
    before = decide_edge(world, edge, before_semantics)
    if not switching:
        return EdgeOutcome(edge, before, before)
    after = decide_edge(world, edge, before_semantics.with_entries(switching))
    if _kind(before, after) is None:
        return EdgeOutcome(edge, before, after)
    # Apply the switches one by one so a difference is attributed to the entry that made it.
    current, previous, change = before_semantics, before, None
    for entry in switching:
        current = current.with_entries([entry])
        side = decide_edge(world, edge, current)
        if change is None and _kind(previous, side) is not None:
            change = entry.id
        previous = side
    kind = _kind(before, previous)
    return EdgeOutcome(edge, before, previous, change if kind is not None else None, kind)


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


def decide_edge(world: _World, edge: Edge, semantics: Semantics) -> EdgeDecision:
    """The decision for one edge under one set of semantics."""
    caller = world.callers.get(edge.source)
    if caller is None:
        caller = world.callers[edge.source] = _caller(world, edge)
    key = (edge.destination, semantics)
    targets = world.targets.get(key)
    if targets is None:
        targets = world.targets[key] = _targets(world, edge, semantics)
    sides = [_decide_target(world, edge, caller, target, semantics) for target in targets]
    return _combine(sides)


def _caller(world: _World, edge: Edge) -> _Caller:
    source = edge.source
    principal = parse_identity(source.principal)
    workload = None
    if source.namespace and source.workload:
        workload = world.workloads_by_name.get((source.namespace, source.workload))
    if workload is not None:
        mode = world.mesh_mode(workload)
        if principal is None and mode != "none":
            principal = Identity(world.control_plane.trust_domain, workload.namespace, workload.service_account)
        return _Caller(mode, principal.principal if principal else None, f"{source} ({mode})")
    if source.in_mesh is False:
        return _Caller("none", None, f"{source} (outside the mesh)")
    if source.in_mesh is True or principal is not None:
        return _Caller("mesh", principal.principal if principal else None, f"{source} (in the mesh)")
    return _Caller(None, None, f"{source} (mesh membership unknown)")


def _targets(world: _World, edge: Edge, semantics: Semantics) -> list[_Target]:
    destination = edge.destination
    service = destination.service_ref
    if service is None and destination.workload and destination.namespace:
        workload = world.workloads_by_name.get((destination.namespace, destination.workload))
        workloads = (workload,) if workload else ()
        label = f"{destination.namespace}/{destination.workload}"
        return [_Target(label, None, workloads, destination.service_port, destination.target_port)]
    if service is None:
        return _host_targets(world, edge, semantics)
    obj = world.snapshot.services.get(service)
    if obj is not None and obj.spec.get("type") == "ExternalName":
        return [_external_name_target(world, edge, obj, semantics)]
    return [_service_target(world, service, destination.service_port, destination.target_port)]


def _service_target(
    world: _World, service: ServiceRef, service_port: int | None, target_port: int | None, **extra: Any
) -> _Target:
    workloads = tuple(world.snapshot.workloads_of_service(service))
    if target_port is None and service_port is not None:
        target_port = _target_port(world, service, service_port, workloads)
    return _Target(str(service), service, workloads, service_port, target_port, **extra)


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


def _external_name_target(world: _World, edge: Edge, obj: K8sObject, semantics: Semantics) -> _Target:
    alias = ServiceRef(obj.namespace, obj.name)
    target_host = str(obj.spec.get("externalName") or "").lower().rstrip(".")
    aliased = world.scope.hosts.service_for(target_host)
    if aliased is None:
        return _Target(str(alias), alias, (), edge.destination.service_port, None, external=True,
                       notes=(f"ExternalName {alias} points at {target_host or 'nothing'}, outside the mesh",))
    port = edge.destination.service_port
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


def _host_targets(world: _World, edge: Edge, semantics: Semantics) -> list[_Target]:
    host = (edge.destination.host or "").lower()
    if not host:
        return [_Target("unknown", None, (), edge.destination.service_port, None, external=True,
                        notes=("destination is not named in the traffic data",))]
    default = _Target(host, None, (), edge.destination.service_port, None, external=True)
    service_host = next((h for h in world.service_entry_hosts if is_wildcard(h) and matches(h, host)), None)
    if service_host is None:
        return [default]
    candidates = overlapping_virtual_services(service_host, world.sidecar_virtual_services)
    if len(candidates) < 2:
        return [default]
    oldest = oldest_first_winner(candidates)
    specific = most_specific_winner(service_host, candidates)
    winner = specific if semantics.vs_most_specific_host else oldest
    if winner is None or oldest is specific:
        return [default]
    targets = []
    for routed in sorted(route_destinations(winner)):
        fqdn = resolve_short_name(routed, winner.namespace)
        service = world.scope.hosts.service_for(fqdn)
        note = f"VirtualService {winner.namespace}/{winner.name} routes {service_host} to {routed}"
        if service is not None:
            targets.append(_service_target(world, service, edge.destination.service_port, None, notes=(note,)))
        else:
            targets.append(_Target(fqdn, None, (), edge.destination.service_port, None, external=True, notes=(note,)))
    return targets or [default]


def _decide_target(world: _World, edge: Edge, caller: _Caller, target: _Target, semantics: Semantics) -> EdgeDecision:
    if target.external:
        reasons = (*target.notes, "destination is outside the mesh: no Istio authorization at the server")
        return _with_certificate_check(world, edge, EdgeDecision(Decision.ALLOW, reasons=reasons,
                                                                  destination=target.label), target, semantics)
    if not target.workloads:
        reasons = (*target.notes, f"no workload of the snapshot serves {target.label}")
        return EdgeDecision(Decision.UNKNOWN, reasons=reasons, destination=target.label)
    per_workload = [_decide_workload(world, edge, caller, target, w, semantics) for w in target.workloads]
    return _with_certificate_check(world, edge, _combine(per_workload), target, semantics)


def _decide_workload(
    world: _World, edge: Edge, caller: _Caller, target: _Target, workload: Workload, semantics: Semantics
) -> EdgeDecision:
    label = target.label
    server_mode = world.mesh_mode(workload)
    if server_mode == "none":
        unenforced = f"{workload.namespace}/{workload.ref.name} has no proxy: nothing enforces policy"
        return EdgeDecision(Decision.ALLOW, reasons=(*target.notes, unenforced), destination=label)
    port = target.target_port
    setting = world.mtls_setting(workload, port)
    mtls, transport = _transport(edge, caller, target, setting.mode)
    reasons = [*target.notes, setting.reason, transport]
    if setting.mode is MtlsMode.STRICT and mtls is not True:
        decision = Decision.DENY if mtls is False else Decision.UNKNOWN
        policy_ref = ObjectRef("PeerAuthentication", *setting.policy.split("/", 1)) if setting.policy else None
        return EdgeDecision(decision, setting.policy, None, tuple(reasons), destination=label, policy_ref=policy_ref)
    if mtls is True and caller.principal is None:
        reasons.append("caller identity is unknown")
    enforcer = Enforcer.SIDECAR
    if server_mode == "ambient":
        enforcer = Enforcer.WAYPOINT if world.uses_waypoint(target.service) else Enforcer.ZTUNNEL
        reasons.append(f"enforced by the {enforcer}")
    protocols = _protocol_options(edge.protocol)
    decisions = []
    for http in protocols:
        request = Request(
            http=http,
            mtls=mtls,
            principal=caller.principal if mtls else None,
            port=port,
            method=edge.method if http else None,
            path=edge.path if http else None,
            enforcer=enforcer,
        )
        decided = world.decide(workload, request, target.service)
        decisions.append(_from_authz(decided, tuple(reasons), label))
    side = _combine(decisions)
    if len(protocols) > 1 and side.decision is Decision.UNKNOWN:
        side = replace(side, reasons=(*side.reasons, "protocol unknown: HTTP and TCP traffic are decided differently"))
    if semantics.authz_unconfirmed_implicit_deny and _relies_on_implicit_deny(world, workload, enforcer, target):
        entry = semantics.authz_unconfirmed_implicit_deny
        side = replace(
            side,
            decision=Decision.UNKNOWN,
            reasons=(*side.reasons, f"{entry}: the workload relies on an ALLOW policy's implicit deny, which a field "
                     "report says changed on upgrade; the mechanism is unconfirmed, so the decision is not guessed"),
        )
    return side


def _transport(edge: Edge, caller: _Caller, target: _Target, mode: MtlsMode) -> tuple[bool | None, str]:
    """Does the caller reach the workload over Istio mTLS? With the reason."""
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
    if mode is MtlsMode.DISABLE:
        return False, "auto mTLS sends plaintext to a workload with mTLS disabled"
    return True, "caller's proxy uses Istio mTLS (auto mTLS)"


def _protocol_options(protocol: str) -> tuple[bool, ...]:
    name = protocol.lower()
    if name in HTTP_PROTOCOLS:
        return (True,)
    if name in TCP_PROTOCOLS:
        return (False,)
    return (True, False)


def _relies_on_implicit_deny(world: _World, workload: Workload, enforcer: Enforcer, target: _Target) -> bool:
    if enforcer is Enforcer.WAYPOINT and target.service is not None:
        policies = world.authz.for_service(target.service)
    else:
        policies = world.authz.for_workload(workload)
    return any(p.action == "ALLOW" and not p.dry_run for p in policies)


def _with_certificate_check(
    world: _World, edge: Edge, side: EdgeDecision, target: _Target, semantics: Semantics
) -> EdgeDecision:
    entry = semantics.verify_certificate_at_client
    if not entry or side.decision is Decision.DENY:
        return side
    host = target.label if target.service is None else service_fqdn(target.service)
    exact, wildcards = world.unverified_tls_rules
    if is_wildcard(host):
        candidates = [rule for rule_host, rules in exact.items() for rule in rules if matches(rule_host, host)]
    else:
        candidates = list(exact.get(host, ()))
    candidates += [rule for rule_host, rule in wildcards if matches(rule_host, host)]
    candidates.sort(key=lambda rule: (rule.namespace, rule.name))  # the snapshot's order: first match reported
    for rule in candidates:
        for block in tls_blocks(rule):
            if block.originates_user_tls and not block.has_trust_anchor and not block.skips_verification:
                reason = (
                    f"{entry}: DestinationRule {rule.namespace}/{rule.name} originates TLS without a CA; the "
                    "caller now verifies the server certificate against the OS bundle, which a snapshot cannot check"
                )
                return replace(side, decision=Decision.UNKNOWN, reasons=(*side.reasons, reason))
    return side


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
    if all(s.decision is first.decision for s in sides):
        destinations = sorted({s.destination for s in sides if s.destination})
        return replace(first, destination=", ".join(destinations) or None)
    summary = "; ".join(f"{s.destination or '?'}: {s.decision}" for s in sides)
    reasons = (f"destinations disagree ({summary})", *dict.fromkeys(r for s in sides for r in s.reasons))
    destinations = sorted({s.destination for s in sides if s.destination})
    return EdgeDecision(Decision.UNKNOWN, reasons=reasons, destination=", ".join(destinations) or None)


# Output for the report ------------------------------------------------------------


def _side_json(side: EdgeDecision) -> dict[str, Any]:
    policy = {"name": side.policy, "rule": side.rule} if side.policy else None
    data: dict[str, Any] = {"decision": side.decision.value, "policy": policy, "why": list(side.reasons)}
    if side.dry_run:
        data["dry_run"] = list(side.dry_run)
    if side.destination:
        data["routed_to"] = side.destination
    return data


def edges_to_json(result: SimulationResult) -> list[dict[str, Any]]:
    """The ``edges`` section of the JSON report."""
    items = []
    for outcome in result.outcomes:
        edge = outcome.edge
        src, dst = edge.source, edge.destination
        item: dict[str, Any] = {
            "id": outcome.id,
            "source": {"namespace": src.namespace, "workload": src.workload, "principal": src.principal},
            "destination": {
                "namespace": dst.namespace,
                "service": dst.service,
                "workload": dst.workload,
                "port": dst.service_port if dst.service_port is not None else dst.target_port,
            },
            "protocol": edge.protocol,
            "requests": edge.requests,
            "origin": edge.origin.value,
            "before": _side_json(outcome.before),
            "after": _side_json(outcome.after),
        }
        if dst.host and not dst.service:
            item["destination"]["host"] = dst.host
        if edge.method or edge.path:
            item["request"] = {"method": edge.method, "path": edge.path}
        if outcome.changed:
            item["change"] = outcome.change
            item["kind"] = outcome.kind.value if outcome.kind else None
        items.append(item)
    return items


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
