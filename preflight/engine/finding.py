"""One finding, its identity and its place in a report: the part of the engine's interface every stage reads.

It sits apart from ``interface.py`` because the report holds sections (platform readiness,
waivers) whose own types hold findings: those stages import this module, the report imports
their interfaces, and no import goes round in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from preflight.kb.interface import Severity
from preflight.snapshot.interface import ObjectRef, ServiceRef, SourceRef


class FindingStatus(StrEnum):
    AFFECTED = "affected"
    MITIGATED = "mitigated"
    # An unconfirmed field report: nothing documented changes, so it informs (services, calls at
    # stake) and counts towards the gate only when asked.
    FIELD_REPORT = "field-report"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)  # a large mesh has hundreds of thousands: no per-instance dict
class Finding:
    change: str  # KB entry id
    introduced_in: str
    severity: Severity
    status: FindingStatus
    resource: ObjectRef
    services: tuple[ServiceRef, ...]
    message: str
    source: SourceRef | None = None
    mitigation_reason: str | None = None  # why it counts as mitigated
    details: Mapping[str, str] = field(default_factory=dict)
    cluster: str | None = None  # set when one report covers several clusters

    @property
    def id(self) -> str:
        """Stable across runs: change, cluster, resource, and what tells findings on one resource apart.

        Waivers name findings by it, ``preflight diff`` matches them by it, SARIF fingerprints them with it.
        """
        local = f"{self.change}:{self.resource.kind}/{self.resource.namespace}/{self.resource.name}"
        for discriminator in ("edge", "phase"):  # one call path; one phase of the canary
            if self.details.get(discriminator):
                local += f"@{self.details[discriminator]}"
        return f"{self.cluster}/{local}" if self.cluster else local


def finding_sort_key(finding: Finding) -> tuple[int, str, str, ObjectRef, str]:
    """Report order: worst first, then by change, cluster, resource and message."""
    return (-finding.severity.rank, finding.change, finding.cluster or "", finding.resource, finding.message)
