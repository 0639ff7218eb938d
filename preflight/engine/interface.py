"""The report: what the engine found, in the shape every formatter renders.

A plain frozen value of typed sections; turning it into JSON (or anything else) is a formatter's job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from preflight.engine.finding import Finding, FindingStatus, finding_sort_key
from preflight.kb.interface import GATE_FAIL, KBEntry, Severity
from preflight.snapshot.interface import ServiceRef, SnapshotInfo
from preflight.versions import CrossedLine, IstioVersion

if TYPE_CHECKING:  # these stages build on the report; imported for types only
    from preflight.engine.mesh_wide import MeshWideChange
    from preflight.footprint.interface import MeshFootprint
    from preflight.plan.interface import CanaryPlan
    from preflight.platform.interface import PlatformReadiness
    from preflight.simulate.interface import SimulationResult
    from preflight.waivers.interface import WaiverReview

__all__ = [
    "FINDINGS_LABEL",
    "SERVICE_FINDINGS_LABEL",
    "ChangeOutcome",
    "ChangeStatus",
    "ClusterReport",
    "Finding",
    "FindingStatus",
    "Report",
    "ReportCounts",
    "ServiceImpact",
    "finding_sort_key",
]


class ChangeStatus(StrEnum):
    """What became of one KB entry on this path."""

    HIT = "hit"  # at least one affected finding
    MITIGATED = "mitigated"  # found, but the snapshot keeps the old behaviour everywhere
    FIELD_REPORT = "field-report"  # an unconfirmed field report concerns resources of the snapshot
    NOT_PRESENT = "not-present"  # detector ran, nothing in the snapshot is touched
    ADVISORY = "advisory"  # cannot be seen in a snapshot; read it

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ChangeOutcome:
    entry: KBEntry
    status: ChangeStatus
    affected: int = 0
    mitigated: int = 0
    mitigation_note: str | None = None  # e.g. a compatibilityVersion the target no longer ships
    # The release that brings the change on this path: a backport's patch, or the main line.
    introduced_in: IstioVersion | None = None
    field_reports: int = 0  # findings of an unconfirmed field report
    calls_at_stake: int = 0  # simulated calls the field report concerns (``EdgeOutcome.watch``)


@dataclass(frozen=True)
class ServiceImpact:
    service: ServiceRef
    findings: tuple[Finding, ...]

    @property
    def worst(self) -> Severity:
        affected = [f.severity for f in self.findings if f.status is FindingStatus.AFFECTED]
        pool = affected or [f.severity for f in self.findings]
        return max(pool, key=lambda s: s.rank)

    @property
    def affected(self) -> bool:
        return any(f.status is FindingStatus.AFFECTED for f in self.findings)


@dataclass(frozen=True)
class ClusterReport:
    """One cluster of a multi-cluster report, as it was checked on its own snapshot."""

    name: str
    source_version: str
    version_note: str
    kubernetes_version: str | None
    sources: tuple[str, ...]
    platform: PlatformReadiness | None
    simulation: SimulationResult | None  # its edges, which the merged report lists with the cluster's name


@dataclass(frozen=True)
class Report:
    source_version: str
    target_version: str
    path: tuple[str, ...]  # minors after the source's, up to the target's
    findings: tuple[Finding, ...]
    changes: tuple[ChangeOutcome, ...]
    snapshot: SnapshotInfo
    version_note: str = ""  # how --from was found
    notes: tuple[str, ...] = ()  # warnings worth reading (partial coverage, skipped inputs)
    generated_at: str | None = None  # None when timestamps are switched off
    tool_version: str = ""
    fail_on: Severity = Severity.HIGH
    fail_on_field_reports: bool = False  # field-report findings count towards --fail-on too
    teams: Mapping[str, str] = field(default_factory=dict)  # namespace → owning team
    waivers: WaiverReview | None = None  # --waivers applied to the findings
    canary_plan: CanaryPlan | None = None
    footprint: MeshFootprint | None = None
    platform: PlatformReadiness | None = None
    platform_entries: Mapping[str, KBEntry] = field(default_factory=dict)  # platform checks, KB-shaped
    simulation: SimulationResult | None = None  # every caller → service edge, before and after
    meshed_services: tuple[ServiceRef, ...] = ()  # services with a workload in the mesh (sidecar or ambient)
    crossed: tuple[CrossedLine, ...] = ()  # every release line passed, with its patch releases
    clusters: tuple[ClusterReport, ...] = ()  # each cluster of a multi-cluster report; empty for one cluster

    @property
    def lines_crossed(self) -> tuple[CrossedLine, ...]:
        """``crossed``, or for a report built without it, each minor of ``path`` whole."""
        return self.crossed or tuple(CrossedLine(minor, None, None) for minor in self.path)

    @property
    def releases_crossed(self) -> str:
        return ", ".join(line.label for line in self.lines_crossed) or "none"

    # Cached: every formatter reads these, and rebuilding them per call made rendering quadratic.
    @cached_property
    def services(self) -> tuple[ServiceImpact, ...]:
        grouped: dict[ServiceRef, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            for service in finding.services:
                grouped[service].append(finding)
        return tuple(ServiceImpact(service, tuple(items)) for service, items in sorted(grouped.items()))

    @cached_property
    def mesh_wide(self) -> tuple[MeshWideChange, ...]:
        """Changes that touch (nearly) every meshed service; see ``preflight.engine.mesh_wide``."""
        from preflight.engine.mesh_wide import mesh_wide_changes  # a rule of the engine, not of the report type

        return mesh_wide_changes(self.findings, self.meshed_services)

    @cached_property
    def entries(self) -> Mapping[str, KBEntry]:
        """Every entry a finding can name: KB changes on the path and the platform checks that fired."""
        return {**self.platform_entries, **{c.entry.id: c.entry for c in self.changes}}

    @cached_property
    def tally(self) -> ReportCounts:
        """Every count a format shows, computed once here so that no two formats disagree."""
        return ReportCounts.of(self)

    def counts(self) -> Mapping[str, Mapping[str, int]]:
        return {"severity": self.tally.findings, "status": self.tally.by_status}

    def gate_findings(self, threshold: Severity, include_mitigated: bool = False) -> list[Finding]:
        return [
            f
            for f in self.findings
            if f.severity.rank >= threshold.rank
            and self._counts_towards_gate(f, include_mitigated)
            and not (self.waivers is not None and self.waivers.waives(f))
        ]

    def _counts_towards_gate(self, finding: Finding, include_mitigated: bool) -> bool:
        if finding.status is FindingStatus.FIELD_REPORT:
            return self.fail_on_field_reports or self.field_report_fails_gate(finding.change)
        return finding.status is FindingStatus.AFFECTED or include_mitigated

    def field_report_fails_gate(self, change: str) -> bool:
        """Whether the field report's own entry (e.g. a KB overlay) makes it count towards the gate."""
        entry = self.entries.get(change)
        return entry is not None and entry.gate == GATE_FAIL

    @cached_property
    def field_reports(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status is FindingStatus.FIELD_REPORT)


FINDINGS_LABEL = "findings"
SERVICE_FINDINGS_LABEL = "service-findings"


@dataclass(frozen=True)
class ReportCounts:
    """The report's counts, each with one definition, shown by every format under its label.

    * ``findings`` (label "findings"): affected findings by severity; a finding is one change on
      one resource, however many services it reaches. Waived findings are counted (and also in
      ``waived``): a waiver accepts a finding, it does not make it go away.
    * ``service_findings`` (label "service-findings"): the same findings counted once per service
      each names, as the per-service tables list them; a finding on no service counts 0 here.
    * ``by_status``: every finding, affected or mitigated.
    * ``services_affected``: services with at least one affected finding.
    * ``unscoped``: affected findings that name no service (shown apart in every format).
    * ``waived``: affected findings a waiver accepts.
    """

    findings: Mapping[str, int]
    service_findings: Mapping[str, int]
    by_status: Mapping[str, int]
    services_affected: int
    unscoped: int
    waived: int

    @classmethod
    def of(cls, report: Report) -> ReportCounts:
        findings = {s.value: 0 for s in Severity}
        service_findings = {s.value: 0 for s in Severity}
        by_status = {s.value: 0 for s in FindingStatus}
        services: set[ServiceRef] = set()
        unscoped = waived = 0
        for finding in report.findings:
            by_status[finding.status.value] += 1
            if finding.status is not FindingStatus.AFFECTED:
                continue
            findings[finding.severity.value] += 1
            service_findings[finding.severity.value] += len(finding.services)
            services.update(finding.services)
            unscoped += not finding.services
            waived += report.waivers is not None and report.waivers.waives(finding)
        return cls(findings, service_findings, by_status, len(services), unscoped, waived)

    @property
    def affected(self) -> int:
        return sum(self.findings.values())

    def findings_line(self) -> str:
        """``"68 findings (high 18, medium 16, low 34)"``: the headline count every format shows."""
        return _count_line(self.findings, FINDINGS_LABEL)

    def service_findings_line(self) -> str:
        return _count_line(self.service_findings, SERVICE_FINDINGS_LABEL)


def _count_line(counts: Mapping[str, int], label: str) -> str:
    parts = ", ".join(f"{name} {count}" for name, count in _worst_first(counts) if count)
    return f"{sum(counts.values())} {label}" + (f" ({parts})" if parts else "")


def _worst_first(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: -Severity(item[0]).rank)
