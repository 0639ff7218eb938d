"""What the simulation adds to the findings: one per edge whose decision or destination changes."""

from __future__ import annotations

from collections.abc import Iterable

from preflight.engine.interface import Finding, FindingStatus
from preflight.kb.interface import KBEntry, Severity
from preflight.simulate.interface import ChangeKind, EdgeDecision, EdgeOutcome, SimulationResult
from preflight.snapshot.interface import ObjectRef

_SEVERITY_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


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
