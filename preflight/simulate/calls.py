"""Who can call what: the simulation's decisions per destination service, for the reports.

Every format shows the same view, built once here from a ``SimulationResult``:

* per destination service, its callers (port, protocol, requests, decision now and after the
  upgrade, the deciding policy and rule), changed calls first, then the busiest;
* whether the service is default-deny (an enforced ALLOW policy applies to its workloads, so
  whatever no ALLOW rule admits is refused), and then which callers it admits today;
* the calls denied **today** that the traffic data saw: each is either intended or a live
  incident, worth a look even without an upgrade.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from preflight.istio.authz import Decision
from preflight.simulate.interface import EdgeDecision, EdgeOutcome, SimulationResult


@dataclass(frozen=True, slots=True)
class Call:
    """One caller's calls to one service, as the reports show them."""

    service: str
    caller: str
    port: str
    protocol: str
    requests: int
    now: str
    after: str
    now_by: str  # the deciding policy and rule, "implicit deny", or "" for a default allow
    after_by: str
    kind: str | None  # breaks, opens, uncertain, reroutes; None when unchanged
    why_now: tuple[str, ...]
    why_after: tuple[str, ...]
    request: str = ""  # "GET /api" when the data names the method or path
    routed_to: str = ""  # where today's calls arrive ("namespace/service"), e.g. an ExternalName's target

    @property
    def changed(self) -> bool:
        return self.kind is not None

    @property
    def port_protocol(self) -> str:
        """``80/http``; the port alone when the data names no protocol (the Service port then decides it)."""
        protocol = "" if self.protocol == "unknown" else self.protocol
        if self.port:
            return f"{self.port}/{protocol}" if protocol else self.port
        return protocol or "unknown"


@dataclass(frozen=True, slots=True)
class ServiceCalls:
    service: str
    calls: tuple[Call, ...]  # changed first, then by requests
    default_deny: bool

    @property
    def changed(self) -> tuple[Call, ...]:
        return tuple(c for c in self.calls if c.changed)

    @property
    def unchanged(self) -> int:
        return sum(1 for c in self.calls if not c.changed)

    @property
    def undecided(self) -> tuple[str, ...]:
        """Callers whose calls today cannot be decided from the data (their "why" says what is missing)."""
        return tuple(dict.fromkeys(c.caller for c in self.calls if c.now == Decision.UNKNOWN.value))

    @property
    def admitted(self) -> tuple[str, ...]:
        """Callers allowed today (for a default-deny service: whom it admits)."""
        return tuple(dict.fromkeys(c.caller for c in self.calls if c.now == Decision.ALLOW.value))


@dataclass(frozen=True)
class CallView:
    services: tuple[ServiceCalls, ...]  # services with changed calls first, then by name
    denied_today: tuple[Call, ...]  # observed calls denied with today's semantics, busiest first
    observed: bool  # the calls come from traffic data, not from configuration

    @property
    def changed(self) -> tuple[Call, ...]:
        return tuple(c for s in self.services for c in s.changed)

    @property
    def unchanged(self) -> int:
        return sum(s.unchanged for s in self.services)


def deciding(side: EdgeDecision) -> str:
    """The policy and rule that decided one side, in words."""
    if side.policy:
        return side.policy + (f" rule {side.rule}" if side.rule is not None else "")
    if side.decision is Decision.DENY and any("implicit deny" in r for r in side.reasons):
        return "implicit deny"
    return ""


def _call(outcome: EdgeOutcome) -> Call:
    edge = outcome.edge
    destination = edge.destination
    service = str(destination.service_ref or outcome.before.destination or destination.host or "unknown")
    port = destination.service_port or destination.target_port
    request = ""
    if edge.method or edge.path:
        request = f"{edge.method or '*'} {edge.path or '*'}"
    return Call(
        service=service,
        caller=str(edge.source),
        port=str(port) if port else "",
        protocol=edge.protocol,
        requests=edge.requests,
        now=outcome.before.decision.value,
        after=outcome.after.decision.value,
        now_by=deciding(outcome.before),
        after_by=deciding(outcome.after),
        kind=outcome.kind.value if outcome.kind else None,
        why_now=outcome.before.reasons,
        why_after=outcome.after.reasons,
        request=request,
        routed_to=outcome.before.destination or "",
    )


def call_view(result: SimulationResult) -> CallView:
    by_service: dict[str, list[Call]] = defaultdict(list)
    for outcome in result.outcomes:
        call = _call(outcome)
        by_service[call.service].append(call)
    default_deny = set(result.default_deny)
    services = []
    for service, calls in by_service.items():
        calls.sort(key=lambda c: (not c.changed, -c.requests, c.caller, c.port, c.request))
        protected = service in default_deny or any(c.routed_to in default_deny for c in calls)
        services.append(ServiceCalls(service, tuple(calls), protected))
    services.sort(key=lambda s: (not s.changed, s.service))
    denied = []
    if result.traffic_is_observed:
        denied = sorted(
            (c for s in services for c in s.calls if c.now == Decision.DENY.value),
            key=lambda c: (-c.requests, c.service, c.caller),
        )
    return CallView(tuple(services), tuple(denied), result.traffic_is_observed)
