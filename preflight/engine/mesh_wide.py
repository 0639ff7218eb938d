"""Changes that touch (nearly) every meshed service: one decision for the platform team, not a row per service.

A change is *mesh-wide* when its affected findings name at least ``MESH_WIDE_SHARE`` (90%) of the services
that have a workload in the mesh (sidecar or ambient), and the mesh has at least ``MESH_WIDE_MIN_SERVICES``
such services. Below that size a table row per service is still short enough to read, and "every service"
of two services says little. Mitigated findings do not count (nothing changes for those services); waived
ones do (a waiver accepts the change, the change still happens). Human-readable formats show a mesh-wide change
once instead of on every service; the JSON report keeps every finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from preflight.engine.finding import Finding, FindingStatus
from preflight.kb.interface import Severity
from preflight.snapshot.interface import WORKLOAD_KINDS, ObjectRef, ServiceRef

MESH_WIDE_SHARE = 0.9
MESH_WIDE_MIN_SERVICES = 10


@dataclass(frozen=True)
class MeshWideChange:
    change: str  # KB entry (or platform check) id
    severity: Severity
    services: int  # services its affected findings name
    meshed_services: int  # services in the mesh, for "N of M"
    workloads: int  # distinct workloads among the resources found
    resources: int  # distinct resources found (workloads, istiod, config)
    findings: tuple[Finding, ...]  # the affected findings, in report order

    @property
    def example(self) -> Finding:
        return self.findings[0]

    @property
    def found_on(self) -> str:
        """What the findings name, for "found on …": workloads, or the resources when none is a workload."""
        if not self.workloads:
            return f"{self.resources} resource(s)"
        others = self.resources - self.workloads
        return f"{self.workloads} workload(s)" + (f" and {others} other resource(s)" if others else "")


def mesh_wide_changes(
    findings: Iterable[Finding], meshed_services: Iterable[ServiceRef]
) -> tuple[MeshWideChange, ...]:
    """A report's mesh-wide changes, worst first, then by id."""
    meshed = frozenset(meshed_services)
    if len(meshed) < MESH_WIDE_MIN_SERVICES:
        return ()
    by_change: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.status is FindingStatus.AFFECTED:
            by_change.setdefault(finding.change, []).append(finding)
    found = []
    for change, affected in by_change.items():
        services: set[ServiceRef] = set()
        for finding in affected:
            services.update(finding.services)
        if len(services & meshed) < MESH_WIDE_SHARE * len(meshed):
            continue
        resources: set[ObjectRef] = {f.resource for f in affected}
        found.append(
            MeshWideChange(
                change=change,
                severity=max((f.severity for f in affected), key=lambda s: s.rank),
                services=len(services),
                meshed_services=len(meshed),
                workloads=sum(1 for r in resources if r.kind in WORKLOAD_KINDS),
                resources=len(resources),
                findings=tuple(affected),
            )
        )
    return tuple(sorted(found, key=lambda m: (-m.severity.rank, m.change)))
