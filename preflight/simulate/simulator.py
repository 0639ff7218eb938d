"""Deciding every edge twice: with the source version's semantics and with the target's.

An edge is decided along the request's own path, one module per stage:

* ``caller``: the calling workload, its mesh membership, identity and Sidecar scope;
* the caller's outbound: ``targets`` (which service, workloads and port the call reaches:
  ExternalName aliases, VirtualService route choice, a Sidecar scope's namespace pick) and
  ``outbound`` (Sidecar egress import, DestinationRule TLS mode, auto mTLS, certificate
  verification);
* the destination's inbound: ``inbound`` (PeerAuthentication mTLS mode, then the enforcing
  proxy's AuthorizationPolicies, CUSTOM → DENY → ALLOW, through ``preflight.istio.authz``).

``world`` holds the snapshot's indexes and the one cache around these pure functions, so cost
stays linear in edges plus destinations. An edge's "after" side is only decided when a
switch that differs between the sides declares it can touch the edge's destination
(``Switch.touches`` in ``semantics``); otherwise it is the "before" side, the same object.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace

from preflight.istio.authz import Decision
from preflight.istio.cluster import Cluster
from preflight.istio.hosts import service_fqdn
from preflight.kb.interface import KBEntry
from preflight.simulate.caller import Caller, caller_of
from preflight.simulate.findings import findings_for_changed_edges
from preflight.simulate.inbound import Reception, combine, decide_at, reception
from preflight.simulate.interface import ChangeKind, EdgeDecision, EdgeOutcome, SimulationResult
from preflight.simulate.outbound import black_hole, outbound, with_certificate_check
from preflight.simulate.semantics import SWITCHES, Semantics, switch_of, watch_of
from preflight.simulate.targets import (
    BEST_RULE,
    FIRST_RULE,
    NamespaceChoice,
    definition_target,
    is_host_destination,
    namespace_choice,
    targets,
)
from preflight.simulate.world import World
from preflight.traffic.interface import Destination, Edge

__all__ = ["findings_for_changed_edges", "simulate"]


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
    world = World(cluster)
    kept = set(kept_old_behaviour)
    before_semantics = Semantics().with_entries(e for e in earlier_entries if e.id not in kept)
    switching = [e for e in entries_on_path if switch_of(e) is not None and e.id not in kept]
    after_semantics = before_semantics.with_entries(switching)
    simulation = Simulation(world, before_semantics, switching)
    watching = [(e.id, watch) for e in entries_on_path if (watch := watch_of(e)) is not None and e.id not in kept]
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


class Side:
    """One set of semantics, with where each destination's calls arrive under it."""

    def __init__(self, world: World, semantics: Semantics) -> None:
        self.world = world
        self.semantics = semantics
        self._resolved: dict[Destination, list[Reception]] = {}

    def resolve(self, destination: Destination) -> list[Reception]:
        found = self._resolved.get(destination)
        if found is None:
            found = self._resolved[destination] = _resolve(self.world, destination, self.semantics)
        return found

    def default_deny(self) -> tuple[str, ...]:
        """Destinations decided on this side whose enforcing proxies apply an ALLOW policy."""
        return tuple(sorted({
            received.target.label for found in self._resolved.values() for received in found if received.default_deny
        }))

    def decide(self, edge: Edge, caller: Caller) -> EdgeDecision:
        """The decision for one edge under this side's semantics."""
        resolved = self.resolve(edge.destination)
        if len(resolved) == 1:
            return decide_target(self.world, edge, caller, resolved[0], self.semantics)
        return combine([decide_target(self.world, edge, caller, r, self.semantics) for r in resolved])


def _resolve(world: World, destination: Destination, semantics: Semantics) -> list[Reception]:
    """Where calls to ``destination`` arrive; shared by the sides whose routing switches agree."""
    alias = routing = None  # the routing switches that can matter for this destination
    service = destination.service_ref
    if service is None:
        if is_host_destination(destination):
            routing = semantics.vs_most_specific_host
    elif world.is_external_name(service):
        alias = semantics.externalname_alias
    key = ("resolve", destination, alias, routing)
    return world.cache.get(key, lambda: [reception(world, t) for t in targets(world, destination, semantics)])


def decide_target(world: World, edge: Edge, caller: Caller, received: Reception,
                  semantics: Semantics) -> EdgeDecision:
    """One target's decision: the caller's outbound, then the destination's inbound."""
    target = received.target
    if target.unregistered and caller.has_sidecar:
        dropped = black_hole(world, caller, target)
        if dropped is not None:
            return dropped
    decision = received.fixed
    if decision is None:
        configured = outbound(world, caller, target)
        if isinstance(configured, EdgeDecision):
            return configured  # the caller's sidecar drops the call before it leaves
        decision = decide_at(world, edge, caller, received, configured)
    elif not target.external:
        return decision  # no workload serves it: unknown already, with no server certificate to verify
    rule = received.unverified_tls_rule
    if rule is None or decision.decision is Decision.DENY:
        return decision
    entry = semantics.verify_certificate_at_client
    if not entry:
        return decision
    key = ("certified", id(received), id(decision), entry)
    return world.cache.get(key, with_certificate_check, decision, rule, entry)


class Simulation:
    """Both sides of every edge; the "after" side only where a switch that differs can touch the edge."""

    def __init__(self, world: World, before: Semantics, switching: Sequence[KBEntry]) -> None:
        self.world = world
        self.before = Side(world, before)
        # Each entry's switch applied in turn, so a difference is attributed to the entry that made it.
        self.steps: list[tuple[KBEntry, Side]] = []
        current = before
        for entry in switching:
            current = current.with_entries([entry])
            self.steps.append((entry, Side(world, current)))
        self.after = self.steps[-1][1] if self.steps else self.before
        differing = before.differing(self.after.semantics)
        self.differing = tuple(name for name in SWITCHES if name in differing)
        self._routes: dict[Destination, tuple[list[Reception], bool]] = {}

    def outcome(self, edge: Edge) -> EdgeOutcome:
        caller = caller_of(self.world, edge.source)
        if caller.scope is not None and self.world.shared_hosts:
            choice = namespace_choice(self.world, caller, edge.destination)
            if choice is not None:
                return self._chosen_outcome(edge, caller, choice)
        route = self._routes.get(edge.destination)
        if route is None:
            route = self._routes[edge.destination] = self._route(edge.destination)
        resolved, touched = route
        if len(resolved) == 1:
            before = decide_target(self.world, edge, caller, resolved[0], self.before.semantics)
        else:
            before = combine([decide_target(self.world, edge, caller, r, self.before.semantics) for r in resolved])
        if not touched:
            return EdgeOutcome(edge, before, before)
        after = self.after.decide(edge, caller)
        if _kind(before, after) is None:
            return EdgeOutcome(edge, before, after)
        previous, change = before, None
        for entry, side in self.steps:
            decided = side.decide(edge, caller)
            if change is None and _kind(previous, decided) is not None:
                change = entry.id
            previous = decided
        kind = _kind(before, previous)
        return EdgeOutcome(edge, before, previous, change if kind is not None else None, kind)

    def _chosen_outcome(self, edge: Edge, caller: Caller, choice: NamespaceChoice) -> EdgeOutcome:
        """Both sides of an edge to a shared host, each in the namespace its rule picks."""
        world, port = self.world, edge.destination.service_port

        def resolved(side: Side) -> Reception:
            entry = side.semantics.sidecar_pick_best_service_namespace
            namespace, rule = (choice.best, f"{BEST_RULE}, {entry}") if entry else (choice.first, FIRST_RULE)
            key = ("definition", choice.host, namespace, port, choice.via, rule)
            return world.cache.get(key, lambda: reception(world, definition_target(world, choice, namespace,
                                                                                   port, rule)))

        before_resolved, after_resolved = resolved(self.before), resolved(self.after)
        before = decide_target(world, edge, caller, before_resolved, self.before.semantics)
        after = decide_target(world, edge, caller, after_resolved, self.after.semantics)
        kind = _kind(before, after)
        if kind is None:
            return EdgeOutcome(edge, before, after)
        change = self.after.semantics.sidecar_pick_best_service_namespace
        if before_resolved is after_resolved or change == self.before.semantics.sidecar_pick_best_service_namespace:
            change = next((e.id for e, _ in self.steps), None)  # another switch made the difference
        return EdgeOutcome(edge, before, after, change, kind)

    def _route(self, destination: Destination) -> tuple[list[Reception], bool]:
        """The destination's targets on the "before" side, and whether its "after" side needs deciding."""
        touched = bool(self.steps) and any(SWITCHES[name].touches(self, destination) for name in self.differing)
        return self.before.resolve(destination), touched

    # What a switch's ``touches`` may ask (``semantics.Reach``) ---------------------------------

    def is_external_name(self, destination: Destination) -> bool:
        return self.world.is_external_name(destination.service_ref)

    def is_host(self, destination: Destination) -> bool:
        return is_host_destination(destination)

    def originates_tls_without_ca(self, destination: Destination) -> bool:
        return any(
            received.unverified_tls_rule is not None
            for side in (self.before, self.after)
            for received in side.resolve(destination)
        )

    def is_shared_host(self, destination: Destination) -> bool:
        service = destination.service_ref
        host = service_fqdn(service) if service is not None else (destination.host or "").lower()
        return host in self.world.shared_hosts


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
