"""A canary upgrade plan as the report and ``preflight plan`` show it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from preflight.kb.interface import Severity


class Risk(StrEnum):
    NONE = "none"  # no affected, unwaived finding touches the namespace
    LOW = "low"  # findings below medium
    MEDIUM = "medium"  # findings below the gate threshold
    HELD = "held"  # findings at or above the gate threshold: move after the fix is in

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class NamespaceMove:
    namespace: str
    team: str
    risk: Risk
    worst: Severity | None
    current_label: str  # e.g. "istio-injection=enabled" or "istio.io/rev=prod-stable"
    current_revision: str | None  # the revision that label resolves to
    workloads: tuple[str, ...]  # "kind/name" of the meshed workloads to restart
    blocking: tuple[str, ...]  # change ids that hold the namespace back (or raise its risk)
    commands: tuple[str, ...]
    pinned_pods: tuple[str, ...] = ()  # workloads whose own istio.io/rev label the namespace label does not move


@dataclass(frozen=True)
class Wave:
    number: int
    title: str
    why: str
    moves: tuple[NamespaceMove, ...]


@dataclass(frozen=True)
class CanaryPlan:
    old_revisions: tuple[str, ...]  # revisions the meshed namespaces use today
    new_revision: str
    move_label: str  # what namespaces are labelled with to move: a canary tag or the new revision
    tags: tuple[str, ...]  # "tag → revision" as found in the snapshot
    preparation: tuple[str, ...]
    waves: tuple[Wave, ...]  # the last one, when present, is the held-back wave
    finish: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def held(self) -> tuple[NamespaceMove, ...]:
        return tuple(m for wave in self.waves for m in wave.moves if m.risk is Risk.HELD)
