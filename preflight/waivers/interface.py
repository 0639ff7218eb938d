"""What a waiver file says, and what became of each waiver in one run.

A waiver accepts the findings of one change (KB entry id, or a platform check id) on
the resources its pattern names, until its expiry date. ``resource`` is
``Kind/namespace/name`` or ``namespace/name`` (any kind), with ``*`` and ``?`` globs;
the two-part form also matches a finding through the services it affects, but only
when every one of them matches, so a mesh-wide finding is never waived by one team.
A waiver stops waiving the day after ``expires`` and is then reported as expired.
A ``change`` with glob characters must start with the minor it is about (``1.21-*``): a
pattern such as ``*`` would waive every change, including those of releases not yet written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase

from preflight.engine.finding import Finding
from preflight.snapshot.interface import SourceRef


@dataclass(frozen=True)
class Waiver:
    change: str
    resource: str
    reason: str
    ticket: str
    expires: date
    source: SourceRef

    def is_expired(self, today: date) -> bool:
        return today > self.expires

    def matches(self, finding: Finding) -> bool:
        if not fnmatchcase(finding.change, self.change):
            return False
        ref = finding.resource
        parts = self.resource.split("/")
        if len(parts) == 3:
            return fnmatchcase(f"{ref.kind}/{ref.namespace}/{ref.name}", self.resource)
        if fnmatchcase(f"{ref.namespace}/{ref.name}", self.resource):
            return True
        return bool(finding.services) and all(fnmatchcase(str(s), self.resource) for s in finding.services)

    def describe(self) -> str:
        return f"{self.change} on {self.resource} ({self.ticket}, until {self.expires.isoformat()})"


@dataclass(frozen=True)
class WaiverReview:
    """The waivers of one file applied to one report's findings."""

    file: str
    today: date
    waivers: tuple[Waiver, ...]
    waived: Mapping[str, Waiver] = field(default_factory=dict)  # finding id → the waiver that accepts it
    expired: tuple[Waiver, ...] = ()  # past their date: they waive nothing
    expired_matches: Mapping[str, Waiver] = field(default_factory=dict)  # finding id → expired waiver
    unused: tuple[Waiver, ...] = ()  # still valid, but matched no finding

    def waiver_for(self, finding: Finding) -> Waiver | None:
        return self.waived.get(finding.id)

    def waives(self, finding: Finding) -> bool:
        return finding.id in self.waived

    def coverage(self) -> list[tuple[Waiver, int]]:
        """Each waiver that accepts findings today, with how many: a broad pattern shows what it hides."""
        counts: dict[int, int] = {}
        for waiver in self.waived.values():
            counts[id(waiver)] = counts.get(id(waiver), 0) + 1
        return [(w, counts[id(w)]) for w in self.waivers if id(w) in counts]
