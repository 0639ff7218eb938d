"""The destination's inbound: how a workload's proxy receives the calls of one target.

In the order the server-side proxy meets a call:

* a workload without a proxy enforces nothing (and cannot terminate Istio mTLS);
* the PeerAuthentication mode on the receiving port: ``STRICT`` refuses a caller that does
  not (or may not) use Istio mTLS;
* the protocol the Service port declares picks the filter chain (HTTP or TCP; both when
  nothing tells);
* the enforcing proxy (sidecar; in ambient mode ztunnel, or the service's waypoint) applies
  its AuthorizationPolicies, CUSTOM → DENY → ALLOW (``preflight.istio.authz``).

What does not depend on the caller is an ``Arrival``, built once per target and workload;
workloads whose arrivals cannot decide differently share one, so each distinct one is
decided once per edge and the result counted for every workload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from preflight.istio.authz import AuthzDecision, Decision, Enforcer, PolicySet, PolicyView, Request
from preflight.istio.peer_authentication import MtlsMode, MtlsSetting
from preflight.istio.routing import HTTP_OR_TCP, handled_as_http
from preflight.simulate.caller import Caller
from preflight.simulate.interface import EdgeDecision
from preflight.simulate.outbound import Transport, transport
from preflight.simulate.targets import Target
from preflight.simulate.world import World
from preflight.snapshot.interface import K8sObject, ObjectRef, Workload
from preflight.traffic.interface import Edge, Mtls


@dataclass(frozen=True, eq=False, slots=True)
class Arrival:
    """One target's calls as they reach one of its workloads: everything that does not depend on the caller."""

    target: Target
    workload: Workload
    mode: str  # the workload's mesh membership: "sidecar", "ambient" or "none"
    setting: MtlsSetting
    enforcer: Enforcer
    policies: PolicySet
    allow_policies: frozenset[ObjectRef]  # enforced ALLOW policies: calls rely on them
    unenforced: EdgeDecision | None  # the decision when the workload has no proxy
    # The enforced policies as TCP (index 0) and HTTP (1) requests meet them, compiled when first asked.
    views: list[PolicyView | None] = field(default_factory=lambda: [None, None])

    def view(self, http: bool) -> PolicyView:
        found = self.views[http]
        if found is None:
            found = self.views[http] = self.policies.view(http, self.enforcer)
        return found

    @property
    def equivalence(self) -> object:
        """Arrivals with the same value decide every call alike (a workload without proxy is named in its reason)."""
        if self.unenforced is not None:
            return self.workload.ref
        return (self.mode, self.setting, self.enforcer, id(self.policies))


@dataclass(frozen=True, eq=False, slots=True)
class Reception:
    """A target and the distinct arrivals at its workloads."""

    target: Target
    fixed: EdgeDecision | None  # the decision when no caller can change it (external, or nothing serves it)
    unverified_tls_rule: K8sObject | None  # a DestinationRule originating TLS to it without a CA
    arrivals: tuple[Arrival, ...] = ()
    positions: tuple[int, ...] = ()  # per workload of the target, the index of its arrival

    @property
    def default_deny(self) -> bool:
        """An enforcing proxy applies an ALLOW policy: whatever no ALLOW rule admits is refused."""
        return any(a.unenforced is None and a.policies.default_deny for a in self.arrivals)


def reception(world: World, target: Target) -> Reception:
    unverified = world.unverified_tls_rule(target.certificate_host)
    if target.external:
        reasons = (*target.notes, "destination is outside the mesh: no Istio authorization at the server")
        return Reception(target, EdgeDecision(Decision.ALLOW, reasons=reasons, destination=target.label), unverified)
    if not target.workloads:
        reasons = (*target.notes, f"no workload of the snapshot serves {target.label}")
        return Reception(target, EdgeDecision(Decision.UNKNOWN, reasons=reasons, destination=target.label),
                         unverified)
    arrivals: list[Arrival] = []
    positions = []
    by_key: dict[object, int] = {}
    for workload in target.workloads:
        found = _arrival(world, target, workload)
        index = by_key.setdefault(found.equivalence, len(arrivals))
        if index == len(arrivals):
            arrivals.append(found)
        positions.append(index)
    return Reception(target, None, unverified, tuple(arrivals), tuple(positions))


def _arrival(world: World, target: Target, workload: Workload) -> Arrival:
    mode = world.mesh_mode(workload)
    unenforced = None
    if mode == "none":
        reason = f"{workload.namespace}/{workload.ref.name} has no proxy: nothing enforces policy"
        unenforced = EdgeDecision(Decision.ALLOW, reasons=(*target.notes, reason), destination=target.label)
    enforcer = Enforcer.SIDECAR
    if mode == "ambient":
        enforcer = Enforcer.WAYPOINT if world.uses_waypoint(target.service) else Enforcer.ZTUNNEL
    if enforcer is Enforcer.WAYPOINT and target.service is not None:
        policies = world.policies.for_service(target.service)
    else:
        policies = world.policies.for_workload(workload)
    allow_policies: frozenset[ObjectRef] = frozenset()
    if mode != "none":
        allow_policies = frozenset(p.ref for p in policies.policies if p.action == "ALLOW" and not p.dry_run)
    setting = world.mtls_setting(workload, target.target_port)
    return Arrival(target, workload, mode, setting, enforcer, policies, allow_policies, unenforced)


def decide_at(world: World, edge: Edge, caller: Caller, received: Reception,
              configured: Transport | None) -> EdgeDecision:
    """The decision over every workload of a target that serves it (``received.fixed`` is ``None``)."""
    arrivals = received.arrivals
    if len(received.positions) == 1:
        return _decide_workload(world, edge, caller, arrivals[0], configured)
    decisions = [_decide_workload(world, edge, caller, a, configured) for a in arrivals]
    if len(decisions) == 1 and decisions[0].destination:
        return decisions[0]  # every workload decides alike, and combining alike decisions gives the same one
    key = ("combined", id(received), *map(id, decisions))
    return world.cache.get(key, lambda: combine([decisions[i] for i in received.positions]))


def _decide_workload(world: World, edge: Edge, caller: Caller, arrival: Arrival,
                     configured: Transport | None) -> EdgeDecision:
    cache = world.cache
    if arrival.unenforced is not None:
        if configured is not None and configured[0] and edge.mtls is not Mtls.NONE:
            return cache.get(("unterminated", id(arrival), configured[1]), _unterminated, arrival, configured[1])
        return arrival.unenforced
    setting = arrival.setting
    mtls, reason = transport(edge, caller, arrival.target, setting.mode, configured)
    if setting.mode is MtlsMode.STRICT and mtls is not True:
        return cache.get(("refusal", id(arrival), mtls, reason), _refusal, arrival, mtls, reason)
    protocol, protocol_note = edge.protocol, ""
    declared = arrival.target.declared_protocol
    if declared and protocol == "unknown":
        # The traffic data does not say; the Service port settles it, as it does for istiod.
        protocol, protocol_note = declared, f"protocol {declared}, as the Service port declares it"
    elif declared and handled_as_http(declared) != handled_as_http(protocol) and HTTP_OR_TCP not in (
        handled_as_http(declared), handled_as_http(protocol)
    ):
        # The receiving proxy picks its filter chain by the port's declared protocol, not by what is sent.
        protocol_note = (
            f"the Service port declares {declared}: the proxy handles the calls as {declared}, not {protocol}"
        )
        protocol = declared
    identity_unknown = mtls is True and caller.principal is None
    context = cache.get(("context", id(arrival), reason, identity_unknown, protocol_note),
                        _context, arrival, reason, identity_unknown, protocol_note)
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
        for http in handled_as_http(protocol)
    ]
    # The context tuples and the authz decisions are kept alive by the cache: their ids are a sound key.
    if len(decided) == 1:
        key: tuple[object, ...] = ("decision", id(arrival), id(context), id(decided[0]))
    else:
        key = ("decision", id(arrival), id(context), *map(id, decided))
    return cache.get(key, _decision, arrival, context, decided)


def _refusal(arrival: Arrival, mtls: bool | None, reason: str) -> EdgeDecision:
    """STRICT mode refuses a caller that does not (or may not) use Istio mTLS."""
    setting = arrival.setting
    decision = Decision.DENY if mtls is False else Decision.UNKNOWN
    policy_ref = ObjectRef("PeerAuthentication", *setting.policy.split("/", 1)) if setting.policy else None
    reasons = (*arrival.target.notes, setting.reason, reason)
    return EdgeDecision(decision, setting.policy, None, reasons, destination=arrival.target.label,
                        policy_ref=policy_ref)


def _unterminated(arrival: Arrival, reason: str) -> EdgeDecision:
    """A DestinationRule makes the caller send Istio mTLS to a workload without a proxy to terminate it."""
    workload = f"{arrival.workload.namespace}/{arrival.workload.ref.name}"
    fails = f"{workload} has no proxy to terminate Istio mTLS: the TLS handshake fails"
    return EdgeDecision(Decision.DENY, reasons=(*arrival.target.notes, reason, fails),
                        destination=arrival.target.label)


def _context(arrival: Arrival, reason: str, identity_unknown: bool, protocol_note: str) -> tuple[str, ...]:
    """The reasons every decision at this workload starts with."""
    reasons = [*arrival.target.notes, arrival.setting.reason, reason]
    if protocol_note:
        reasons.append(protocol_note)
    if identity_unknown:
        reasons.append("caller identity is unknown")
    if arrival.mode == "ambient":
        reasons.append(f"enforced by the {arrival.enforcer}")
    return tuple(reasons)


def _decision(arrival: Arrival, context: tuple[str, ...], decided: Sequence[AuthzDecision]) -> EdgeDecision:
    label = arrival.target.label
    sides = [_with_allow_policies(arrival, _from_authz(d, context, label), d) for d in decided]
    side = sides[0] if len(sides) == 1 else combine(sides)
    if len(decided) > 1 and side.decision is Decision.UNKNOWN:
        unknown = "protocol unknown: HTTP and TCP traffic are decided differently"
        side = replace(side, reasons=(*side.reasons, unknown))
    return side


def _with_allow_policies(arrival: Arrival, side: EdgeDecision, decided: AuthzDecision) -> EdgeDecision:
    """Name the ALLOW policies a decision rests on: admitted by one, or refused by their implicit deny.

    A call refused by a DENY or CUSTOM policy would be refused whatever the ALLOW rules say.
    """
    allow = arrival.allow_policies
    if not allow or (decided.policy is not None and decided.policy not in allow):
        return side
    return replace(side, allow_policies=tuple(sorted(f"{ref.namespace}/{ref.name}" for ref in allow)))


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


def combine(sides: Sequence[EdgeDecision]) -> EdgeDecision:
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
