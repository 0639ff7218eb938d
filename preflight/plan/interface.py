"""A canary upgrade plan as the report and ``preflight plan`` show it."""

from __future__ import annotations

from collections.abc import Mapping
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
    # Revisions the namespace's proxies were injected by: from its Pods, or when the snapshot has
    # none, from the workloads' pod templates (istio.io/rev, sidecar.istio.io/status); "" = unrecorded.
    injected_revisions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stop:
    """One control-plane upgrade of the path: ``source`` → ``target``, installed as ``revision``."""

    number: int
    source: str
    target: str
    revision: str
    findings: Mapping[str, int]  # open findings arriving with this stop, by severity (worst first)
    gate_changes: tuple[str, ...]  # changes among them at or above --fail-on
    changes: tuple[str, ...] = ()  # every change the arriving findings are of
    preparation: tuple[str, ...] = ()  # this stop's install (the plan's own for the first stop)
    finish: tuple[str, ...] = ()  # this stop's switch and removal of the previous revision


@dataclass(frozen=True)
class MeshWideStep:
    """A change the report calls mesh-wide: fixed (or its flag set) once, before the first wave."""

    change: str
    severity: Severity
    reach: str  # "12 of 14 meshed services"
    action: str  # the fix, or the setting that keeps the old behaviour
    stop: int = 1  # the stop that brings it: the step comes before that stop's first wave


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
    stops: tuple[Stop, ...] = ()  # more than one when the path is longer than one canary step allows
    mesh_wide: tuple[MeshWideStep, ...] = ()  # before the waves, not a reason to hold a namespace

    @property
    def held(self) -> tuple[NamespaceMove, ...]:
        return tuple(m for wave in self.waves for m in wave.moves if m.risk is Risk.HELD)
