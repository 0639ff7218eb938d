"""What the simulator gives: one before/after decision pair per edge."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from preflight.istio.authz import Decision
from preflight.snapshot.interface import ObjectRef
from preflight.traffic.interface import Edge, Mtls


class ChangeKind(StrEnum):
    BREAKS = "breaks"  # allow → deny: calls stop working
    OPENS = "opens"  # deny → allow: calls that were refused get through (security regression)
    UNCERTAIN = "uncertain"  # one side is unknown
    REROUTES = "reroutes"  # same decision, but the calls reach another destination


@dataclass(frozen=True, slots=True)
class EdgeDecision:
    """One side's decision with its "why" chain.

    ``policy`` is the deciding policy (``namespace/name``; an AuthorizationPolicy, the
    PeerAuthentication that refuses plaintext, or the Sidecar whose missing import sends the
    call to the BlackHoleCluster) and ``rule`` its rule index; both ``None`` for a default
    allow or an implicit deny.
    """

    decision: Decision
    policy: str | None = None
    rule: int | None = None
    reasons: tuple[str, ...] = ()
    dry_run: tuple[str, ...] = ()
    destination: str | None = None  # where the calls go, "namespace/service" or a host
    policy_ref: ObjectRef | None = None
    # The enforced ALLOW policies whose rules decided the call: it was admitted by one of their
    # rules, or refused by their implicit deny. Empty when no ALLOW policy had a say.
    allow_policies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EdgeOutcome:
    edge: Edge
    before: EdgeDecision
    after: EdgeDecision
    change: str | None = None  # the KB entry whose semantic change makes the sides differ
    kind: ChangeKind | None = None
    watch: tuple[str, ...] = ()  # field reports on the path that concern this call; they change no decision

    @property
    def changed(self) -> bool:
        return self.kind is not None

    @property
    def id(self) -> str:
        """A stable name for the edge, which findings reference."""
        src, dst = self.edge.source, self.edge.destination
        port = dst.service_port or dst.target_port or ""
        target = str(dst.service_ref or dst.workload or dst.host or "unknown")
        if dst.service_ref and dst.workload:
            target += f"[{dst.workload}]"  # declared edges reach each workload of a service separately
        parts = [str(src), target, str(port), self.edge.protocol]
        if self.edge.method or self.edge.path:
            parts.append(f"{self.edge.method or '*'} {self.edge.path or '*'}")
        if self.edge.mtls is not Mtls.UNKNOWN:
            parts.append(f"mtls={self.edge.mtls.value}")  # edges that differ only in observed mTLS stay apart
        parts.append(self.edge.origin.value)
        return " ".join(parts)


@dataclass(frozen=True)
class SimulationResult:
    outcomes: tuple[EdgeOutcome, ...]
    traffic_is_observed: bool
    source_semantics: tuple[str, ...] = ()  # KB ids whose change is already in effect on both sides
    applied: tuple[str, ...] = ()  # KB ids whose change the "after" side applies
    notes: tuple[str, ...] = ()
    watched: tuple[str, ...] = ()  # field reports on the path whose calls are marked (``EdgeOutcome.watch``)
    default_deny: tuple[str, ...] = ()  # destinations ("namespace/service") whose workloads an enforced ALLOW protects

    @property
    def changed(self) -> tuple[EdgeOutcome, ...]:
        return tuple(o for o in self.outcomes if o.changed)

    def watched_by(self, entry_id: str) -> tuple[EdgeOutcome, ...]:
        """The calls a field report on the path concerns, with their decided before and after."""
        return tuple(o for o in self.outcomes if entry_id in o.watch)
