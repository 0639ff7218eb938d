"""Applying the knowledge base to a snapshot: entries → detector hits → findings per service."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from preflight import __version__
from preflight.detectors import registry
from preflight.detectors.interface import DetectorContext, Hit
from preflight.engine import mitigation
from preflight.engine.interface import ChangeOutcome, ChangeStatus, Finding, FindingStatus, Report
from preflight.istio.control_plane import ControlPlane, read_control_plane
from preflight.istio.scoping import Scope
from preflight.kb.interface import KBEntry, KnowledgeBase, Severity
from preflight.snapshot.model import Snapshot
from preflight.versions import IstioVersion, UpgradePath, upgrade_path


@dataclass(frozen=True)
class CheckOptions:
    target: IstioVersion
    source: IstioVersion | None = None  # detected from istiod when None
    fail_on: Severity = Severity.HIGH
    timestamp: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)


def resolve_path(options: CheckOptions, control_plane: ControlPlane, kb: KnowledgeBase) -> tuple[UpgradePath, str]:
    from preflight.errors import VersionError

    if options.source is not None:
        return upgrade_path(options.source, options.target, list(kb.minors)), "given with --from"
    detected, how = control_plane.detected_version()
    if detected is None:
        raise VersionError(f"cannot detect the current Istio version ({how}); pass --from")
    return upgrade_path(detected, options.target, list(kb.minors)), f"detected {how}"


def run_check(snapshot: Snapshot, kb: KnowledgeBase, options: CheckOptions) -> Report:
    control_plane = read_control_plane(snapshot)
    path, version_note = resolve_path(options, control_plane, kb)
    context = DetectorContext(snapshot, control_plane, path)
    scope = Scope(snapshot, control_plane)
    findings: list[Finding] = []
    outcomes: list[ChangeOutcome] = []
    for entry in kb.entries:
        if not path.includes(entry.introduced_in):
            continue
        entry_findings, outcome = _apply(entry, context, scope, kb)
        findings.extend(entry_findings)
        outcomes.append(outcome)
    findings.sort(key=lambda f: (-f.severity.rank, f.change, f.resource, f.message))
    notes = list(options.notes)
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
        findings=tuple(findings),
        changes=tuple(outcomes),
        snapshot=snapshot.info,
        version_note=version_note,
        notes=tuple(notes),
        generated_at=generated,
        tool_version=__version__,
        fail_on=options.fail_on,
    )


def _apply(
    entry: KBEntry, context: DetectorContext, scope: Scope, kb: KnowledgeBase
) -> tuple[list[Finding], ChangeOutcome]:
    if entry.detector is None:
        return [], ChangeOutcome(entry, ChangeStatus.ADVISORY)
    detector = registry.get(entry.detector.name)
    hits = list(detector.detect(context, entry.detector.params))
    if not hits:
        return [], ChangeOutcome(entry, ChangeStatus.NOT_PRESENT)
    verdict = mitigation.assess(entry, context.control_plane, context.path.target, kb.compatibility_profiles)
    status = FindingStatus.MITIGATED if verdict.mitigated else FindingStatus.AFFECTED
    findings = [_finding(entry, hit, status, verdict.reason, scope) for hit in _unique(hits)]
    change_status = ChangeStatus.MITIGATED if verdict.mitigated else ChangeStatus.HIT
    affected = len(findings) if status is FindingStatus.AFFECTED else 0
    return findings, ChangeOutcome(
        entry, change_status, affected, len(findings) - affected, mitigation_note=verdict.note
    )


def _finding(entry: KBEntry, hit: Hit, status: FindingStatus, reason: str | None, scope: Scope) -> Finding:
    services = hit.services
    source = hit.source
    obj = scope.snapshot.get(hit.resource.kind, hit.resource.namespace, hit.resource.name)
    if services is None:
        services = scope.services_for(obj) if obj is not None else ()
    if source is None and obj is not None:
        source = obj.source
    return Finding(
        change=entry.id,
        introduced_in=str(entry.introduced_in),
        severity=entry.severity,
        status=status,
        resource=hit.resource if obj is None else obj.ref,
        services=tuple(sorted(set(services))),
        message=hit.message,
        source=source,
        mitigation_reason=reason if status is FindingStatus.MITIGATED else None,
        details=dict(hit.details),
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
