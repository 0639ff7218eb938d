"""Deciding whether a snapshot already keeps a change's old behaviour at the target, and what advice holds there.

A change counts as mitigated only when *every* istiod revision in the snapshot keeps
the old behaviour by one of the entry's mechanisms: a revision left on the new default
still changes the workloads it serves. Flag values compare case-insensitively, as
istiod parses booleans leniently.

Every mechanism must also exist at the target (``preflight.kb.settings``): a flag Istio
has removed is ignored after the upgrade, however it is set. A ``compatibilityVersion``
counts only when the target ships that profile *and* the profile, as shipped at the
target, sets one of the entry's settings to its old value; the entry's own
``compatibility_version``/``compatibility_profiles`` must claim it too (both must agree).

``advice_at`` narrows an entry's mitigation to what the target still has, so no report
offers a flag or profile the target lacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from preflight.errors import VersionError
from preflight.istio.control_plane import ControlPlane, Revision
from preflight.istio.install_values import install_values
from preflight.kb.interface import KBEntry, Mitigation
from preflight.kb.settings import SettingLifetimes, bundled_lifetimes, profile_key_kind
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
    snapshot: Snapshot | None = None,
    lifetimes: SettingLifetimes | None = None,
) -> MitigationVerdict:
    facts = lifetimes or bundled_lifetimes()
    mitigation = entry.mitigation
    notes: list[str] = []
    if mitigation.install_values and snapshot is not None:
        # Chart values of node agents (istio-cni, ztunnel) are not per istiod revision.
        for found in install_values(snapshot, mitigation.install_values):
            if not _same(found.value, mitigation.install_values[found.key]):
                continue
            gone = _gone(facts, "install_values", [found.key], target)
            if gone:
                notes.append(f"{found.source.ref} sets {found.key}={found.value}, which {gone}")
                continue
            return MitigationVerdict(True, f"{found.source.ref} sets {found.key} to keep the old behaviour")
    if not mitigation.is_available or not control_plane.revisions:
        return MitigationVerdict(False, note=_join(notes))
    reasons: list[str] = []
    for revision in control_plane.revisions:
        reason, revision_notes = _revision_keeps_old_behaviour(entry, revision, target, facts)
        notes.extend(revision_notes)
        if reason is None:
            return MitigationVerdict(False, note=_join(notes))
        reasons.append(reason)
    return MitigationVerdict(True, "; ".join(reasons), _join(notes))


def _revision_keeps_old_behaviour(
    entry: KBEntry, revision: Revision, target: IstioVersion, facts: SettingLifetimes
) -> tuple[str | None, list[str]]:
    mitigation = entry.mitigation
    label = f"istiod revision '{revision.name}'"
    notes: list[str] = []
    env_set = bool(mitigation.env) and all(_same(revision.env.get(f), v) for f, v in mitigation.env.items())
    mesh_set = bool(mitigation.mesh_config) and all(
        revision.has_mesh_key(key) and (value is None or _same(revision.mesh_value(key), value))
        for key, value in mitigation.mesh_config.items()
    )
    if mitigation.all_of:
        if env_set and mesh_set:
            gone = _gone(facts, "env", mitigation.env, target) or _gone(
                facts, "mesh_config", mitigation.mesh_config, target
            )
            if not gone:
                mesh_keys = (f"meshConfig.{k}" for k in sorted(mitigation.mesh_config))
                names = ", ".join([*sorted(mitigation.env), *mesh_keys])
                return f"{label} sets {names} to keep the old behaviour", notes
            notes.append(f"{_settings_text(mitigation.env, {})} on {label} {gone}")
        elif env_set != mesh_set:
            missing = "the mesh config" if env_set else "istiod's environment"
            notes.append(f"{label} keeps the old behaviour only halfway: the setting is missing from {missing}")
    else:
        if env_set:
            gone = _gone(facts, "env", mitigation.env, target)
            if not gone:
                return f"{label} sets {', '.join(sorted(mitigation.env))} to keep the old behaviour", notes
            notes.append(f"{_settings_text(mitigation.env, {})} on {label} {gone}")
        if mesh_set:
            gone = _gone(facts, "mesh_config", mitigation.mesh_config, target)
            if not gone:
                return f"{label} mesh config sets {', '.join(sorted(mitigation.mesh_config))}", notes
            notes.append(f"{_settings_text({}, mitigation.mesh_config)} in the mesh config of {label} {gone}")
    if revision.compatibility_version:
        reason, note = _compatibility(entry, revision, label, target, facts)
        if note:
            notes.append(note)
        return reason, notes
    return None, notes


def _compatibility(
    entry: KBEntry, revision: Revision, label: str, target: IstioVersion, facts: SettingLifetimes
) -> tuple[str | None, str | None]:
    mitigation = entry.mitigation
    if not (mitigation.compatibility_version or mitigation.compatibility_profiles):
        return None, None
    try:
        chosen = parse_version(revision.compatibility_version or "").minor_text
    except VersionError:
        return None, f"{label} has an unreadable compatibilityVersion '{revision.compatibility_version}'"
    if not _claimed(mitigation, chosen, target):
        return None, None
    shipped = facts.shipped_profiles(target)
    if chosen not in shipped:
        last = facts.last_with("profiles", chosen, target)
        until = f" (the last that does is {last})" if last else ""
        return None, (
            f"{label} sets compatibilityVersion {chosen}, but Istio {target} ships profiles only for "
            f"{', '.join(shipped) or 'no version'}{until}"
        )
    if not restores(entry, chosen, target, facts):
        return None, (
            f"{label} sets compatibilityVersion {chosen}, but at {target} that profile does not restore this behaviour"
        )
    return f"{label} sets compatibilityVersion {chosen}", None


def _claimed(mitigation: Mitigation, profile: str, target: IstioVersion) -> bool:
    listed = mitigation.compatibility_profiles.get(target.minor_text)
    if listed is not None:
        return profile in listed
    if mitigation.compatibility_version is None:
        return False
    return parse_version(profile).minor_key <= parse_version(mitigation.compatibility_version).minor_key


def restores(entry: KBEntry, profile: str, target: IstioVersion, facts: SettingLifetimes) -> bool:
    """Does the profile, as the target ships it, set one of the entry's settings to its old value?"""
    settings = facts.profile_settings(profile, target)
    if not settings:
        return False
    wanted = dict(_restoring_keys(entry))

    def sets(key: str) -> bool:
        if key not in settings:
            return False
        expected = wanted[key]
        if expected is not None and not _same(settings[key], expected):
            return False
        kind_name = profile_key_kind(key)
        return kind_name is None or bool(facts.exists(kind_name[0], kind_name[1], target))

    if entry.mitigation.all_of:
        return all(sets(key) for key in wanted)
    return any(sets(key) for key in wanted)


def _restoring_keys(entry: KBEntry) -> Iterable[tuple[str, Any]]:
    mitigation = entry.mitigation
    for flag, value in mitigation.env.items():
        yield f"pilot.env.{flag}", value
    for key, value in mitigation.mesh_config.items():
        yield f"meshConfig.{key}", value
    for key, value in mitigation.install_values.items():
        yield key.removeprefix("cni."), value
    if mitigation.env or mitigation.mesh_config or mitigation.install_values:
        return
    # A chart value the engine cannot see on istiod (istio-cni's): the setting as the profiles spell it.
    for setting in entry.upstream.settings:
        if setting.isupper():
            yield f"pilot.env.{setting}", None
        else:
            yield setting, None


def _gone(facts: SettingLifetimes, kind: str, names: Iterable[str], target: IstioVersion) -> str | None:
    """``None`` when every setting exists at the target; else why the setting no longer works there."""
    for name in names:
        exists = facts.exists(kind, name, target)
        if exists:
            continue
        if exists is None:
            return f"cannot be confirmed to exist at {target} (no setting lifetimes for it)"
        last = facts.last_with(kind, name, target)
        if last is None:
            return f"does not exist at {target}: it is ignored"
        return f"keeps the old behaviour only up to {last}; at {target} it is ignored"
    return None


def advice_at(entry: KBEntry, target: IstioVersion, lifetimes: SettingLifetimes | None = None) -> KBEntry:
    """The entry with its mitigation narrowed to the mechanisms that still work at ``target``.

    When something the entry offers does not work there, the advice is rewritten: what is
    left at the target, or — nothing being left — fix before the upgrade or stop at the last
    version that still keeps the old behaviour.
    """
    facts = lifetimes or bundled_lifetimes()
    mitigation = entry.mitigation
    if not mitigation.is_available:
        return entry
    dropped: list[tuple[str, str | None]] = []  # (why it does not work at the target, last version it did)

    def keep(kind: str, settings: Mapping[str, Any], spell: str) -> dict[str, Any]:
        kept = {}
        for name, value in settings.items():
            if facts.exists(kind, name, target):
                kept[name] = value
                continue
            what = spell.format(name=name, value=_value(value))
            last = facts.last_with(kind, name, target)
            why = f"{what} keeps it only up to {last}" if last else f"{what} does not exist at {target}"
            dropped.append((why, last))
        return kept

    env = keep("env", mitigation.env, "{name}={value} on istiod")
    mesh = keep("mesh_config", mitigation.mesh_config, "meshConfig.{name}")
    install = keep("install_values", mitigation.install_values, "the chart value {name}")
    if len(env) < len(mitigation.env):
        env = {}  # the flags work only together
    if mitigation.all_of and (not env or len(mesh) < len(mitigation.mesh_config)):
        env, mesh = {}, {}
    claimed = [p for p in facts.profiles if _claimed(mitigation, p, target)]
    profiles = [p for p in claimed if restores(entry, p, target, facts)]
    for profile in claimed:
        if profile in profiles:
            continue
        last = _last_restoring(entry, profile, target, facts)
        if last:
            dropped.append((f"compatibilityVersion {profile} keeps it only up to {last}", last))
        elif facts.exists("profiles", profile, target):
            dropped.append((f"compatibilityVersion {profile} does not restore it at {target}", None))
    if not dropped:
        return entry
    narrowed = replace(
        mitigation,
        text=_advice_text(entry, target, env, mesh, install, profiles, dropped),
        env=env,
        mesh_config=mesh,
        install_values=install,
        compatibility_version=profiles[-1] if profiles else None,
        compatibility_profiles={target.minor_text: tuple(profiles)} if profiles else {},
    )
    return replace(entry, mitigation=narrowed)


def _last_restoring(entry: KBEntry, profile: str, target: IstioVersion, facts: SettingLifetimes) -> str | None:
    tag = facts.tag_for(target)
    if tag is None:
        return None
    for earlier in reversed(facts.tags[: facts.tags.index(tag)]):
        version = parse_version(earlier)
        if restores(entry, profile, version, facts):
            newest = facts.tag_for(parse_version(version.minor_text))
            return version.minor_text if earlier == newest else earlier
    return None


def _advice_text(
    entry: KBEntry,
    target: IstioVersion,
    env: Mapping[str, Any],
    mesh: Mapping[str, Any],
    install: Mapping[str, Any],
    profiles: list[str],
    dropped: list[tuple[str, str | None]],
) -> str:
    ways = []
    if env and mesh and entry.mitigation.all_of:
        ways.append(f"set {_settings_text(env, {})} on istiod together with {_settings_text({}, mesh)}")
    elif env or mesh:
        ways += [f"set {_settings_text(env, {})} on istiod"] if env else []
        ways += [f"set {_settings_text({}, mesh)}"] if mesh else []
    if install:
        ways.append("set the chart value " + " or ".join(f"{k}={_value(v)}" for k, v in install.items()))
    if profiles:
        ways.append(f"install with compatibilityVersion {' or '.join(profiles)}")
    gone = "; ".join(why for why, _ in dropped)
    if ways:
        return f"At {target}: {', or '.join(ways)}. No longer at {target}: {gone}."
    lasts = sorted((last for _, last in dropped if last), key=lambda v: parse_version(v).as_packaging())
    stop = f", or stop at {lasts[-1]}, the last version that still keeps it" if lasts else ""
    return (
        f"Nothing keeps the old behaviour at {target} ({gone}). Fix the affected resources before the "
        f"upgrade{stop}."
    )


def _settings_text(env: Mapping[str, Any], mesh: Mapping[str, Any]) -> str:
    parts = [f"{k}={_value(v)}" for k, v in env.items()]
    parts += [f"meshConfig.{k}" + (f"={_value(v)}" if v is not None else "") for k, v in mesh.items()]
    return " and ".join(parts)


def _value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _join(notes: list[str]) -> str | None:
    return "; ".join(dict.fromkeys(notes)) or None


def _same(actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    # YAML booleans and strings mean the same to istiod and Helm: False == "false".
    return str(actual).strip().lower() == str(expected).strip().lower()
