"""A knowledge-base entry as the engine and the reports see it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from preflight.versions import IstioVersion, ReleaseLines


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __str__(self) -> str:
        return self.value


_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}

AREAS = ("traffic", "security", "telemetry", "install", "extensibility", "ambient")
PROVENANCES = ("upstream", "field-report")
FIELD_REPORT = "field-report"
# What a finding of the entry does to the gate: a documented change fails it at --fail-on; a field
# report informs unless the run asks (--fail-on-field-reports) or its entry says ``gate: fail``.
GATE_FAIL = "fail"
GATE_INFORM = "inform"
GATES = (GATE_INFORM, GATE_FAIL)


@dataclass(frozen=True)
class DetectorCall:
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mitigation:
    """How to keep the old behaviour, and what in a snapshot shows it is already kept.

    Any one mechanism is enough: every pilot ``env`` flag at its value on every istiod
    that is upgraded, every ``mesh_config`` key (dotted path; ``None`` = any value), a
    ``compatibilityVersion`` at or below ``compatibility_version`` that the target still
    ships — or, where upstream profiles are uneven, one listed for the target minor in
    ``compatibility_profiles`` —, or one of the ``install_values`` (chart values such as the
    istio-cni chart's, alternative spellings of one setting) in Helm values or an IstioOperator.
    """

    text: str
    env: Mapping[str, str] = field(default_factory=dict)
    mesh_config: Mapping[str, Any] = field(default_factory=dict)
    compatibility_version: str | None = None
    # target minor → the compatibilityVersion profiles that really restore the behaviour there
    compatibility_profiles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    install_values: Mapping[str, Any] = field(default_factory=dict)
    # The env flags and mesh_config keys are needed together (both istiod and the proxies read the setting).
    all_of: bool = False

    @property
    def is_available(self) -> bool:
        return bool(
            self.env
            or self.mesh_config
            or self.compatibility_version
            or self.compatibility_profiles
            or self.install_values
        )


@dataclass(frozen=True)
class Upstream:
    settings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()


@dataclass(frozen=True)
class KBEntry:
    id: str
    introduced_in: IstioVersion  # the main line: every later minor has the change from its .0
    title: str
    summary: str
    impact: str  # completes "your service X will …"
    severity: Severity
    area: str
    remediation: str
    mitigation: Mitigation
    upstream: Upstream
    provenance: str
    source_file: str
    detector: DetectorCall | None = None
    advisory: str | None = None  # why a snapshot cannot show who is affected
    severity_reason: str | None = None
    caveats: tuple[str, ...] = ()  # where upstream is inconsistent, or field reports are unconfirmed
    # The first version of each release line that ships the change, ascending, ending with
    # ``introduced_in``; empty when it ships on the main line only. Read it as ``release_lines``.
    introduced_on: tuple[IstioVersion, ...] = ()
    simulation: Mapping[str, Any] = field(default_factory=dict)  # semantic change (or watch) for the simulator
    gate: str = GATE_FAIL
    line: int | None = None  # where the entry starts in ``source_file``

    @property
    def minor(self) -> str:
        return self.introduced_in.minor_text

    @property
    def release_lines(self) -> ReleaseLines:
        return ReleaseLines(self.introduced_on or (self.introduced_in,))

    @property
    def is_field_report(self) -> bool:
        return self.provenance == FIELD_REPORT


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[KBEntry, ...]
    minors: tuple[str, ...]  # every minor with a KB file, ascending
    # compatibilityVersion values each target minor ships profiles for.
    compatibility_profiles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, entry_id: str) -> KBEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)
