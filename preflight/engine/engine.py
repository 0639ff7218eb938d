"""Applying the knowledge base to a cluster: entries → detector hits → findings per service; one report.

The stages run in ``preflight.pipeline``; this module decides what the entries find and folds
every stage's result into the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from types import MappingProxyType

from preflight import __version__, progress
from preflight.detectors import registry
from preflight.detectors.interface import DetectorContext, Hit
from preflight.engine import mitigation
from preflight.engine.interface import (
    ChangeOutcome,
    ChangeStatus,
    Finding,
    FindingStatus,
    Report,
    finding_sort_key,
)
from preflight.errors import InputError, Location, VersionError
from preflight.istio.cluster import Cluster
from preflight.istio.control_plane import ControlPlane
from preflight.istio.discovery import is_mesh_config_object
from preflight.kb.interface import KBEntry, KnowledgeBase, Severity
from preflight.platform.entries import platform_entry
from preflight.platform.interface import PlatformReadiness
from preflight.simulate.interface import EdgeOutcome, SimulationResult
from preflight.simulate.simulator import findings_for_changed_edges
from preflight.snapshot.interface import WORKLOAD_KINDS, ServiceRef
from preflight.snapshot.model import Snapshot
from preflight.traffic.interface import TrafficData
from preflight.versions import IstioVersion, UpgradePath, upgrade_path

# Shared by every finding without details (most of them), read-only so no finding can change another's.
_NO_DETAILS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class CheckOptions:
    target: IstioVersion
    source: IstioVersion | None = None  # detected from istiod when None
    fail_on: Severity = Severity.HIGH
    fail_on_field_reports: bool = False  # unconfirmed field reports count towards the gate too
    timestamp: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)
    kubernetes_version: str | None = None  # overrides the snapshot's server version
    allow_incomplete: bool = False  # report on a snapshot whose export could not read every kind
    allow_empty: bool = False  # report on a snapshot with no workloads, Services or Istio resources
    report_date: date | None = None  # the support window is judged on this day (default: today)


def resolve_path(options: CheckOptions, control_plane: ControlPlane, kb: KnowledgeBase) -> tuple[UpgradePath, str]:
    if options.source is not None:
        return upgrade_path(options.source, options.target, list(kb.minors)), "given with --from"
    detected, how = control_plane.detected_version()
    if detected is None:
        raise VersionError(f"cannot detect the current Istio version ({how}); pass --from")
    return upgrade_path(detected, options.target, list(kb.minors)), f"detected {how}"


def admit(snapshot: Snapshot, options: CheckOptions) -> tuple[list[str], bool]:
    """What the export could not read, and whether the snapshot is empty; raises unless the options accept it."""
    gaps = incompleteness(snapshot)
    if gaps and not options.allow_incomplete:
        raise InputError(
            f"the snapshot is incomplete: {gaps[0]}"
            + (f" (and {len(gaps) - 1} more)" if len(gaps) > 1 else "")
            + "; a report on it could miss affected services. Re-export with more access, or pass --allow-incomplete",
            Location(snapshot.info.sources[0] if snapshot.info.sources else "snapshot"),
        )
    empty = not has_mesh_content(snapshot)
    if empty and not options.allow_empty:
        raise InputError(
            f"the snapshot holds no workloads, Services or Istio resources ({_what_was_read(snapshot)}); "
            "a check on it would pass without looking at anything. Check the export that produced it "
            "(a failed `kubectl get` writes nothing), or pass --allow-empty",
            Location(snapshot.info.sources[0] if snapshot.info.sources else "snapshot"),
        )
    return gaps, empty


def apply_entries(
    cluster: Cluster, kb: KnowledgeBase, path: UpgradePath
) -> tuple[list[Finding], list[ChangeOutcome]]:
    """Every KB entry on the path run through its detector, its hits judged mitigated or not."""
    context = DetectorContext(cluster, path)
    findings: list[Finding] = []
    outcomes: list[ChangeOutcome] = []
    with progress.task("checking KB entries:", count=lambda: len(outcomes), unit="done"):
        for entry in kb.entries:
            if not path.applies(entry.release_lines):
                continue
            entry_findings, outcome = _apply(entry, context)
            findings.extend(entry_findings)
            outcomes.append(outcome)
    return findings, outcomes


@dataclass(frozen=True)
class SimulationInputs:
    """Which KB entries the edge simulation switches on, and which the snapshot keeps at their old behaviour."""

    on_path: tuple[KBEntry, ...]
    earlier: tuple[KBEntry, ...]
    kept_old_behaviour: frozenset[str]


def simulation_inputs(kb: KnowledgeBase, path: UpgradePath, outcomes: Iterable[ChangeOutcome]) -> SimulationInputs:
    return SimulationInputs(
        on_path=tuple(e for e in kb.entries if path.applies(e.release_lines)),
        earlier=tuple(e for e in kb.entries if path.source_has(e.release_lines)),
        kept_old_behaviour=frozenset(o.entry.id for o in outcomes if o.status is ChangeStatus.MITIGATED),
    )


@dataclass(frozen=True)
class Stages:
    """What each stage of one cluster's check gave, for ``assemble_report`` to fold into one report."""

    cluster: Cluster
    path: UpgradePath
    version_note: str
    gaps: Sequence[str]
    empty: bool
    findings: Sequence[Finding]
    outcomes: Sequence[ChangeOutcome]
    readiness: PlatformReadiness
    traffic: TrafficData
    simulation: SimulationResult


def assemble_report(stages: Stages, kb: KnowledgeBase, options: CheckOptions) -> Report:
    """One cluster's report: detector, platform and edge findings folded per fact, sorted, with every note."""
    snapshot, control_plane = stages.cluster.snapshot, stages.cluster.control_plane
    path, readiness, traffic, simulation = stages.path, stages.readiness, stages.traffic, stages.simulation
    findings = [*stages.findings, *readiness.findings]
    edge_findings = _with_sources(
        _introduced_on_path(findings_for_changed_edges(simulation, kb.entries), stages.outcomes), snapshot
    )
    findings = _folded(findings, _client_side(edge_findings, snapshot))
    findings, outcomes = _with_calls_at_stake(findings, list(stages.outcomes), simulation)
    findings.sort(key=finding_sort_key)
    notes = [
        *snapshot.info.notes, *stages.gaps, *options.notes, *control_plane.notes, *readiness.notes, *traffic.notes,
        *simulation.notes,
    ]
    if stages.empty:
        notes.append(
            f"The snapshot holds no workloads, Services or Istio resources ({_what_was_read(snapshot)}); "
            "it was checked because --allow-empty was given, so this verdict says nothing about a mesh."
        )
    if not control_plane.revisions:
        notes.append(
            "The snapshot has no istiod Deployment, IstioOperator or Helm values: flags that keep old "
            "behaviour cannot be seen, so nothing is reported as mitigated."
        )
    generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if options.timestamp else None
    return Report(
        source_version=str(path.source),
        target_version=str(path.target),
        path=path.minors,
        crossed=path.crossed,
        findings=tuple(findings),
        changes=tuple(outcomes),
        snapshot=snapshot.info,
        version_note=stages.version_note,
        notes=tuple(notes),
        generated_at=generated,
        tool_version=__version__,
        fail_on=options.fail_on,
        fail_on_field_reports=options.fail_on_field_reports,
        platform=readiness,
        platform_entries={f.change: platform_entry(f.change, path.target) for f in readiness.findings},
        simulation=simulation,
        meshed_services=stages.cluster.meshed_services,
    )


def has_mesh_content(snapshot: Snapshot) -> bool:
    """Whether the snapshot holds anything a KB entry, the platform checks or the simulator reads about the mesh.

    Namespaces, Helm values and other install inputs alone do not count: an empty ``kubectl``
    output or a values-only folder would otherwise pass the gate having checked nothing.
    """
    if snapshot.of_kind(*WORKLOAD_KINDS) or snapshot.of_kind("Service"):
        return True
    return any(
        obj.kind == "IstioOperator" or is_mesh_config_object(obj.ref.api_version, obj.kind) for obj in snapshot.objects
    )


def _what_was_read(snapshot: Snapshot) -> str:
    sources = len(snapshot.info.sources)
    where = f"{sources} input{'s' if sources != 1 else ''}"
    if not len(snapshot):
        return f"no objects in {where}"
    kinds = ", ".join(f"{count} {kind}" for kind, count in snapshot.kinds().items())
    return f"only {kinds} in {where}"


def incompleteness(snapshot: Snapshot) -> list[str]:
    """What the export manifest says it could not read, one sentence per list, with what it costs."""
    manifest = snapshot.info.manifest
    if not manifest or manifest.get("complete") is not False:
        return []
    gaps = []
    for item in manifest.get("forbidden") or []:
        if not isinstance(item, Mapping):
            continue
        where = f" in namespace {item['namespace']}" if item.get("namespace") else ""
        impact = f": {item['impact']}" if item.get("impact") else ""
        gaps.append(f"the export was not allowed to list {item.get('resource', 'a resource')}{where}{impact}")
    return gaps or ["the export manifest marks the snapshot incomplete"]


def _client_side(edge_findings: list[Finding], snapshot: Snapshot) -> list[Finding]:
    """A call that a DestinationRule now decides changes at the caller's proxy: name the caller's services."""
    workloads = {(w.namespace, w.ref.name): w for w in snapshot.workloads}
    named = []
    for finding in edge_findings:
        if finding.resource.kind == "DestinationRule":
            namespace, _, name = finding.details.get("caller", "").partition("/")
            workload = workloads.get((namespace, name))
            services = tuple(sorted(snapshot.services_of_workload(workload))) if workload is not None else ()
            finding = replace(finding, services=services)
        named.append(finding)
    return named


MAX_FOLDED_CALLS = 20  # per finding; the JSON edges have every one


def _folded(findings: list[Finding], edge_findings: list[Finding]) -> list[Finding]:
    """One finding per fact: an edge decided by a resource a finding of the same change already names joins it."""
    position = {(f.change, f.resource): i for i, f in enumerate(findings) if f.status is FindingStatus.AFFECTED}
    joined: dict[int, list[Finding]] = {}
    unfolded = []
    for finding in edge_findings:
        index = position.get((finding.change, finding.resource))
        if index is None:
            unfolded.append(finding)
        else:
            joined.setdefault(index, []).append(finding)
    result = list(findings)
    for index, calls in joined.items():
        base = result[index]
        listed = [c.message for c in calls[:MAX_FOLDED_CALLS]]
        if len(calls) > MAX_FOLDED_CALLS:
            listed.append(f"… and {len(calls) - MAX_FOLDED_CALLS} more (edges in the JSON report)")
        result[index] = replace(
            base,
            severity=max([base.severity, *(c.severity for c in calls)], key=lambda s: s.rank),
            services=tuple(sorted({*base.services, *(s for c in calls for s in c.services)})),
            message=f"{base.message}; {len(calls)} simulated call(s) through it change: {calls[0].message}"
            + (f" (and {len(calls) - 1} more)" if len(calls) > 1 else ""),
            details={**base.details, "calls": "\n".join(listed)},
        )
    return [*result, *unfolded]


def _with_calls_at_stake(
    findings: list[Finding], outcomes: list[ChangeOutcome], simulation: SimulationResult
) -> tuple[list[Finding], list[ChangeOutcome]]:
    """Each field-report finding with the simulated calls it concerns, decided before and after."""
    watched = set(simulation.watched)
    if not watched:
        return findings, outcomes
    calls = {entry_id: _WatchedCalls() for entry_id in watched}
    for outcome in simulation.outcomes:
        for entry_id in outcome.watch:
            calls[entry_id].add(outcome)
    located = [
        _with_calls(f, calls[f.change], simulation.traffic_is_observed)
        if f.status is FindingStatus.FIELD_REPORT and f.change in watched
        else f
        for f in findings
    ]
    counted = [
        replace(o, calls_at_stake=calls[o.entry.id].count) if o.entry.id in watched else o for o in outcomes
    ]
    return located, counted


class _WatchedCalls:
    """The calls one field report marks, indexed by the ALLOW policy and the service they concern."""

    def __init__(self) -> None:
        self.count = 0
        self.by_policy: dict[str, list[EdgeOutcome]] = {}
        self.by_service: dict[ServiceRef, list[EdgeOutcome]] = {}

    def add(self, outcome: EdgeOutcome) -> None:
        self.count += 1
        for policy in dict.fromkeys((*outcome.before.allow_policies, *outcome.after.allow_policies)):
            self.by_policy.setdefault(policy, []).append(outcome)
        service = outcome.edge.destination.service_ref
        if service is not None:
            self.by_service.setdefault(service, []).append(outcome)

    def of(self, finding: Finding) -> list[EdgeOutcome]:
        """Those decided by the finding's policy, or, for another resource, those to its services."""
        if finding.resource.kind == "AuthorizationPolicy":
            return self.by_policy.get(f"{finding.resource.namespace}/{finding.resource.name}", [])
        found = {id(o): o for service in finding.services for o in self.by_service.get(service, ())}
        return list(found.values())


def _with_calls(finding: Finding, watched: _WatchedCalls, traffic_is_observed: bool) -> Finding:
    """The finding's message and details name the calls at stake."""
    mine = watched.of(finding)
    stake = calls_at_stake(mine, traffic_is_observed)
    listed = [f"{o.id}: {_decided(o)}" for o in mine[:MAX_LISTED_CALLS]]
    if len(mine) > MAX_LISTED_CALLS:
        listed.append(f"… and {len(mine) - MAX_LISTED_CALLS} more (edges marked watch in the JSON report)")
    details = {**finding.details, "calls_at_stake": stake}
    if listed:
        details["watch_calls"] = "\n".join(listed)
    return replace(finding, message=f"{finding.message}; calls at stake: {stake}", details=details)


MAX_LISTED_CALLS = 20  # per finding; the JSON edges mark every one


def calls_at_stake(watched: Iterable[EdgeOutcome], traffic_is_observed: bool = True) -> str:
    """"12 calls (9 allowed, 3 denied) depend on it: watch them in the canary", counted on today's side."""
    counts: dict[str, int] = {}
    total = 0
    for outcome in watched:
        total += 1
        counts[outcome.before.decision.value] = counts.get(outcome.before.decision.value, 0) + 1
    if not total:
        if traffic_is_observed:
            return "no simulated call depends on it (others are decided before its rules are read, or none reach it)"
        return "no declared call depends on it (pass --traffic for the observed calls)"
    split = ", ".join(f"{count} {_DECIDED[name]}" for name, count in sorted(counts.items()))
    return f"{total} call(s) ({split} today) depend on it: watch them in the canary"


_DECIDED = {"allow": "allowed", "deny": "denied", "unknown": "undecided"}


def _decided(outcome: EdgeOutcome) -> str:
    before, after = outcome.before.decision.value, outcome.after.decision.value
    return f"{before} before and after" if before == after else f"{before} before, {after} after"


def _introduced_on_path(findings: Iterable[Finding], outcomes: Iterable[ChangeOutcome]) -> list[Finding]:
    """Edge findings name the release that brings their change on this path, as detector findings do."""
    arrival = {o.entry.id: o.introduced_in for o in outcomes if o.introduced_in is not None}
    return [
        replace(f, introduced_in=str(arrival[f.change])) if f.change in arrival else f for f in findings
    ]


def _with_sources(findings: Iterable[Finding], snapshot: Snapshot) -> list[Finding]:
    """Locate edge findings in the snapshot file of the resource they name (for SARIF)."""
    located = []
    for finding in findings:
        obj = snapshot.get(finding.resource.kind, finding.resource.namespace, finding.resource.name)
        located.append(replace(finding, source=obj.source) if finding.source is None and obj else finding)
    return located


def _apply(entry: KBEntry, context: DetectorContext) -> tuple[list[Finding], ChangeOutcome]:
    arrival = context.path.arrival(entry.release_lines)
    # Every report format renders the entry of the outcome: its advice is what still works at the target.
    advised = mitigation.advice_at(entry, context.path.target)
    if entry.detector is None:
        return [], ChangeOutcome(advised, ChangeStatus.ADVISORY, introduced_in=arrival)
    detector = registry.get(entry.detector.name)
    hits = list(detector.detect(context, entry.detector.params))
    if not hits:
        return [], ChangeOutcome(advised, ChangeStatus.NOT_PRESENT, introduced_in=arrival)
    if entry.is_field_report:
        # Nothing documented changes, so there is nothing to mitigate: the finding informs.
        findings = [
            _finding(entry, arrival, hit, FindingStatus.FIELD_REPORT, None, context.cluster) for hit in _unique(hits)
        ]
        return findings, ChangeOutcome(
            advised, ChangeStatus.FIELD_REPORT, field_reports=len(findings), introduced_in=arrival
        )
    # The entry as written: a setting the snapshot uses but the target lacks is named in the note.
    verdict = mitigation.assess(entry, context.control_plane, context.path.target, context.snapshot)
    status = FindingStatus.MITIGATED if verdict.mitigated else FindingStatus.AFFECTED
    findings = [_finding(entry, arrival, hit, status, verdict.reason, context.cluster) for hit in _unique(hits)]
    change_status = ChangeStatus.MITIGATED if verdict.mitigated else ChangeStatus.HIT
    affected = len(findings) if status is FindingStatus.AFFECTED else 0
    return findings, ChangeOutcome(
        advised, change_status, affected, len(findings) - affected, mitigation_note=verdict.note, introduced_in=arrival
    )


def _finding(
    entry: KBEntry, arrival: IstioVersion, hit: Hit, status: FindingStatus, reason: str | None, cluster: Cluster
) -> Finding:
    services = hit.services
    source = hit.source
    obj = cluster.snapshot.get(hit.resource.kind, hit.resource.namespace, hit.resource.name)
    if services is None:
        services = cluster.scope.services_for(obj) if obj is not None else ()
    if source is None and obj is not None:
        source = obj.source
    return Finding(
        change=entry.id,
        introduced_in=str(arrival),
        severity=hit.severity or entry.severity,
        status=status,
        resource=hit.resource if obj is None else obj.ref,
        services=tuple(sorted(set(services))),
        message=hit.message,
        source=source,
        mitigation_reason=reason if status is FindingStatus.MITIGATED else None,
        details=dict(hit.details) if hit.details else _NO_DETAILS,
    )


def _unique(hits: Iterable[Hit]) -> list[Hit]:
    seen: set[tuple[object, str]] = set()
    unique = []
    for hit in hits:
        key = (hit.resource, hit.message)
        if key not in seen:
            seen.add(key)
            unique.append(hit)
    return unique
