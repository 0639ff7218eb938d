"""Deciding whether a snapshot already keeps a change's old behaviour.

A change counts as mitigated only when *every* istiod revision in the snapshot keeps
the old behaviour by one of the entry's mechanisms: a revision left on the new default
still changes the workloads it serves. Flag values compare case-insensitively, as
istiod parses booleans leniently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from preflight.errors import VersionError
from preflight.istio.control_plane import ControlPlane, Revision
from preflight.istio.install_values import install_values
from preflight.kb.interface import KBEntry, Mitigation
from preflight.snapshot.model import Snapshot
from preflight.versions import IstioVersion, parse_version


@dataclass(frozen=True)
class MitigationVerdict:
    mitigated: bool
    reason: str | None = None  # how the snapshot keeps the old behaviour
    note: str | None = None  # why a mitigation that is set will not work on the target


def assess(
    entry: KBEntry,
    control_plane: ControlPlane,
    target: IstioVersion,
    shipped_profiles: Mapping[str, tuple[str, ...]],
    snapshot: Snapshot | None = None,
) -> MitigationVerdict:
    mitigation = entry.mitigation
    if mitigation.install_values and snapshot is not None:
        # Chart values of node agents (istio-cni, ztunnel) are not per istiod revision.
        for found in install_values(snapshot, mitigation.install_values):
            if _same(found.value, mitigation.install_values[found.key]):
                return MitigationVerdict(True, f"{found.source.ref} sets {found.key} to keep the old behaviour")
    if not mitigation.is_available or not control_plane.revisions:
        return MitigationVerdict(False)
    reasons: list[str] = []
    notes: list[str] = []
    for revision in control_plane.revisions:
        reason, note = _revision_keeps_old_behaviour(mitigation, revision, target, shipped_profiles)
        if note:
            notes.append(note)
        if reason is None:
            return MitigationVerdict(False, note="; ".join(notes) or None)
        reasons.append(reason)
    return MitigationVerdict(True, "; ".join(reasons), "; ".join(notes) or None)


def _revision_keeps_old_behaviour(
    mitigation: Mitigation,
    revision: Revision,
    target: IstioVersion,
    shipped_profiles: Mapping[str, tuple[str, ...]],
) -> tuple[str | None, str | None]:
    label = f"istiod revision '{revision.name}'"
    if mitigation.env and all(_same(revision.env.get(flag), value) for flag, value in mitigation.env.items()):
        return f"{label} sets {', '.join(sorted(mitigation.env))} to keep the old behaviour", None
    if mitigation.mesh_config and all(
        revision.has_mesh_key(key) and (value is None or _same(revision.mesh_value(key), value))
        for key, value in mitigation.mesh_config.items()
    ):
        return f"{label} mesh config sets {', '.join(sorted(mitigation.mesh_config))}", None
    if mitigation.compatibility_profiles and revision.compatibility_version:
        restoring = mitigation.compatibility_profiles.get(target.minor_text, ())
        if _minor(revision.compatibility_version) in restoring:
            return f"{label} sets compatibilityVersion {_minor(revision.compatibility_version)}", None
        return None, (
            f"{label} sets compatibilityVersion {revision.compatibility_version}, but at {target.minor_text} only "
            f"profile(s) {', '.join(restoring) or 'none'} restore this behaviour"
        )
    if mitigation.compatibility_version and revision.compatibility_version:
        return _compatibility(mitigation.compatibility_version, revision, label, target, shipped_profiles)
    return None, None


def _minor(version: str) -> str:
    try:
        return parse_version(version).minor_text
    except VersionError:
        return version


def _compatibility(
    keeps_up_to: str,
    revision: Revision,
    label: str,
    target: IstioVersion,
    shipped_profiles: Mapping[str, tuple[str, ...]],
) -> tuple[str | None, str | None]:
    try:
        chosen = parse_version(revision.compatibility_version or "")
    except VersionError:
        return None, f"{label} has an unreadable compatibilityVersion '{revision.compatibility_version}'"
    if chosen.minor_key > parse_version(keeps_up_to).minor_key:
        return None, None
    shipped = shipped_profiles.get(target.minor_text)
    if shipped is not None and chosen.minor_text not in shipped:
        return None, (
            f"{label} sets compatibilityVersion {chosen.minor_text}, but Istio {target.minor_text} ships "
            f"profiles only for {', '.join(shipped) or 'no version'}"
        )
    return f"{label} sets compatibilityVersion {chosen.minor_text}", None


def _same(actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    # YAML booleans and strings mean the same to istiod and Helm: False == "false".
    return str(actual).strip().lower() == str(expected).strip().lower()
