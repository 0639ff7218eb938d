"""Reading ``knowledge/1.NN.yaml`` files into validated ``KBEntry`` records.

Each file holds one Istio minor::

    minor: "1.21"
    compatibility_versions: ["1.20"]   # compatibilityVersion profiles shipped at 1.21.0
    entries:
      - id: 1.21-externalname-alias
        ...

Errors name the file, the line and the entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from preflight import safe_yaml
from preflight.detectors import registry
from preflight.errors import KnowledgeBaseError, Location, VersionError
from preflight.kb.interface import (
    AREAS,
    GATE_FAIL,
    GATE_INFORM,
    GATES,
    PROVENANCES,
    DetectorCall,
    KBEntry,
    KnowledgeBase,
    Mitigation,
    Severity,
    Upstream,
)
from preflight.kb.settings import SettingLifetimes, bundled_lifetimes
from preflight.resources import bundled_dir
from preflight.simulate.semantics import check_simulation
from preflight.versions import IstioVersion, ReleaseLines, parse_version

_ID = re.compile(r"^\d+\.\d+(\.\d+)?-[a-z0-9]+(-[a-z0-9]+)*$")
_REQUIRED_TEXT = ("id", "title", "summary", "impact", "remediation")
_KNOWN_KEYS = frozenset(
    {
        "id",
        "introduced_in",
        "title",
        "summary",
        "impact",
        "severity",
        "severity_reason",
        "area",
        "detector",
        "advisory",
        "remediation",
        "mitigation",
        "upstream",
        "provenance",
        "caveats",
        "simulation",
        "gate",
    }
)


def load_knowledge_base(
    extra_dirs: Iterable[str | Path] = (), include_builtin: bool = True, check_settings: bool = True
) -> KnowledgeBase:
    """Every entry of the built-in KB and ``extra_dirs``.

    With ``check_settings`` (always, except when regenerating the setting lifetimes themselves),
    a mitigation may name only settings the lifetimes know to exist when its change arrives.
    """
    dirs: list[Path] = [bundled_dir("knowledge")] if include_builtin else []
    for extra in map(Path, extra_dirs):
        # Naming the built-in directory itself (`preflight kb validate knowledge` in a checkout)
        # validates it once rather than reporting every entry as its own duplicate.
        if not any(extra.resolve() == known.resolve() for known in dirs):
            dirs.append(extra)
    entries: list[KBEntry] = []
    gates: dict[str, tuple[str, str]] = {}  # entry id → (gate, file that sets it)
    seen: dict[str, str] = {}
    minors: set[str] = set()
    profiles: dict[str, tuple[str, ...]] = {}
    for directory in dirs:
        if not directory.is_dir():
            raise KnowledgeBaseError("knowledge-base directory not found", Location(str(directory)))
        files = sorted(directory.glob("*.yaml"), key=_minor_sort_key)
        if not files:
            raise KnowledgeBaseError("no knowledge-base files (*.yaml)", Location(str(directory)))
        for file in files:
            minor, compat, file_entries, file_gates = _load_file(file)
            gates.update({entry_id: (gate, str(file)) for entry_id, gate in file_gates.items()})
            minors.add(minor)
            if compat:
                profiles[minor] = compat
            for entry in file_entries:
                if entry.id in seen:
                    raise KnowledgeBaseError(
                        f"duplicate entry id '{entry.id}' (also in {seen[entry.id]})", Location(str(file))
                    )
                seen[entry.id] = str(file)
                entries.append(entry)
    entries = _with_gates(entries, gates)
    if check_settings:
        lifetimes = bundled_lifetimes()
        for entry in entries:
            problem = unknown_setting(entry, lifetimes)
            if problem:
                raise KnowledgeBaseError(f"entry '{entry.id}': {problem}", Location(entry.source_file, entry.line))
    entries.sort(key=lambda e: (e.introduced_in.as_packaging(), e.id))
    ordered_minors = tuple(sorted(minors, key=lambda m: parse_version(m).minor_key))
    return KnowledgeBase(tuple(entries), ordered_minors, profiles)


def _with_gates(entries: list[KBEntry], gates: Mapping[str, tuple[str, str]]) -> list[KBEntry]:
    by_id = {entry.id: entry for entry in entries}
    for entry_id, (_, file) in gates.items():
        entry = by_id.get(entry_id)
        if entry is None:
            raise KnowledgeBaseError(f"'field_reports' names '{entry_id}', which no entry has", Location(file, 1))
        if not entry.is_field_report:
            raise KnowledgeBaseError(
                f"'field_reports' names '{entry_id}', which is not a field report: a documented change always "
                "counts towards --fail-on",
                Location(file, 1),
            )
    return [replace(e, gate=gates[e.id][0]) if e.id in gates else e for e in entries]


def unknown_setting(entry: KBEntry, lifetimes: SettingLifetimes) -> str | None:
    """Why the entry's mitigation names a setting the lifetimes do not show at ``introduced_in``, if it does."""
    mitigation = entry.mitigation
    named = [
        *(("env", flag) for flag in mitigation.env),
        *(("mesh_config", key) for key in mitigation.mesh_config),
        *(("install_values", key) for key in mitigation.install_values),
        *(("profiles", profile) for profile in _profiles_named(mitigation)),
    ]
    for kind, name in named:
        label = "compatibilityVersion profile" if kind == "profiles" else f"mitigation.{kind} setting"
        if not lifetimes.knows(kind, name) or lifetimes.first_with(kind, name) is None:
            return (
                f"{label} '{name}' is unknown to the setting lifetimes (knowledge/settings/lifetimes.yaml): "
                "check its spelling against Istio's source, then regenerate them with 'preflight kb lifetimes'"
            )
        if kind != "profiles" and lifetimes.exists(kind, name, entry.introduced_in) is False:
            return f"{label} '{name}' does not exist at {entry.introduced_in}, where the change arrives"
    return None


def _profiles_named(mitigation: Mitigation) -> list[str]:
    profiles = [mitigation.compatibility_version] if mitigation.compatibility_version else []
    for listed in mitigation.compatibility_profiles.values():
        profiles.extend(listed)
    return profiles


def load_file(file: Path) -> tuple[str, tuple[str, ...], list[KBEntry]]:
    minor, compat, entries, _ = _load_file(file)
    return minor, compat, entries


def _load_file(file: Path) -> tuple[str, tuple[str, ...], list[KBEntry], dict[str, str]]:
    """A file's minor, profiles, entries, and the gates it sets for field reports of any file (``field_reports``)."""
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
        node = safe_yaml.compose(text)
        data = safe_yaml.load(text)
    except OSError as error:
        raise KnowledgeBaseError(f"cannot read: {error.strerror}", Location(name)) from None
    except UnicodeDecodeError:
        raise KnowledgeBaseError("not UTF-8 text", Location(name)) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise KnowledgeBaseError(
            f"invalid YAML: {error.problem}", Location(name, mark.line + 1 if mark else None)
        ) from None
    if not isinstance(data, Mapping):
        raise KnowledgeBaseError("expected a mapping with 'minor' and 'entries'", Location(name, 1))
    minor = str(data.get("minor", ""))
    try:
        minor_version = parse_version(minor)
    except VersionError:
        raise KnowledgeBaseError(
            f"'minor' must be an Istio minor such as \"1.21\", found '{minor}'", Location(name, 1)
        ) from None
    if minor_version.patch is not None:
        raise KnowledgeBaseError(f"'minor' must not carry a patch number: '{minor}'", Location(name, 1))
    compat = tuple(str(v) for v in data.get("compatibility_versions") or [])
    raw_entries = data.get("entries") or []
    if not isinstance(raw_entries, list):
        raise KnowledgeBaseError("'entries' must be a list", Location(name, 1))
    lines = _entry_lines(node)
    entries = []
    for position, raw in enumerate(raw_entries):
        location = Location(name, lines[position] if position < len(lines) else None)
        entries.append(_entry(raw, minor, location))
    return minor, compat, entries, _field_report_gates(data.get("field_reports"), name)


def _field_report_gates(raw: Any, name: str) -> dict[str, str]:
    """``field_reports: {<entry id>: {gate: fail}}``: an overlay raising (or lowering) a field report of the KB."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise KnowledgeBaseError("'field_reports' must map entry ids to {gate: fail|inform}", Location(name, 1))
    gates = {}
    for entry_id, settings in raw.items():
        gate = settings.get("gate") if isinstance(settings, Mapping) else None
        if not isinstance(settings, Mapping) or set(settings) != {"gate"} or gate not in GATES:
            raise KnowledgeBaseError(
                f"'field_reports.{entry_id}' must be {{gate: {' or '.join(GATES)}}}", Location(name, 1)
            )
        gates[str(entry_id)] = str(gate)
    return gates


def _entry(raw: Any, minor: str, location: Location) -> KBEntry:
    if not isinstance(raw, Mapping):
        raise KnowledgeBaseError("an entry must be a mapping", location)
    entry_id = str(raw.get("id", "<no id>"))

    def fail(message: str) -> KnowledgeBaseError:
        return KnowledgeBaseError(f"entry '{entry_id}': {message}", location)

    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise fail(f"unknown field(s): {', '.join(unknown)}")
    for key in _REQUIRED_TEXT:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise fail(f"'{key}' is required text")
    if not _ID.match(entry_id):
        raise fail("'id' must look like '1.21-short-name' (lowercase words joined by '-')")
    introduced_on = _release_lines(raw.get("introduced_in"), fail)
    introduced = introduced_on[-1]
    if introduced.minor_text != minor:
        where = "main line (last version)" if len(introduced_on) > 1 else "'introduced_in'"
        raise fail(f"{where} {introduced} does not belong in the file for {minor}")
    if not entry_id.startswith(introduced.minor_text + "-") and not entry_id.startswith(f"{introduced}-"):
        raise fail(f"'id' must start with its minor '{introduced.minor_text}-'")
    try:
        severity = Severity(str(raw.get("severity")))
    except ValueError:
        raise fail(f"'severity' must be one of {', '.join(s.value for s in Severity)}") from None
    severity_reason = raw.get("severity_reason")
    if severity.rank >= Severity.HIGH.rank and not (isinstance(severity_reason, str) and severity_reason.strip()):
        raise fail(f"severity {severity} needs a 'severity_reason' saying why")
    area = raw.get("area")
    if area not in AREAS:
        raise fail(f"'area' must be one of {', '.join(AREAS)}")
    provenance = raw.get("provenance", "upstream")
    if provenance not in PROVENANCES:
        raise fail(f"'provenance' must be one of {', '.join(PROVENANCES)}")
    detector = _detector(raw.get("detector"), fail)
    advisory = raw.get("advisory")
    if (detector is None) == (advisory is None):
        raise fail("needs exactly one of 'detector' or 'advisory'")
    if advisory is not None and (not isinstance(advisory, str) or not advisory.strip()):
        raise fail("'advisory' must say why a snapshot cannot show who is affected")
    upstream = _upstream(raw.get("upstream"), fail)
    if provenance == "upstream" and not (upstream.settings or upstream.notes or upstream.docs):
        raise fail("an upstream entry must cite upstream settings, notes or docs")
    caveats = raw.get("caveats") or []
    if not isinstance(caveats, list) or not all(isinstance(c, str) for c in caveats):
        raise fail("'caveats' must be a list of text")
    if provenance == "field-report" and not caveats:
        raise fail("a field-report entry must say in 'caveats' what is unconfirmed")
    simulation = raw.get("simulation") or {}
    if not isinstance(simulation, Mapping):
        raise fail("'simulation' must be a mapping")
    simulation_problem = check_simulation(simulation)
    if simulation_problem:
        raise fail(simulation_problem)
    if provenance == "field-report" and "switch" in simulation:
        raise fail("a field report changes no decision: use 'simulation.watch' to mark the calls it concerns")
    if provenance != "field-report" and "watch" in simulation:
        raise fail("'simulation.watch' is for field reports; a documented change declares 'simulation.switch'")
    gate = raw.get("gate", GATE_INFORM if provenance == "field-report" else GATE_FAIL)
    if gate not in GATES:
        raise fail(f"'gate' must be one of {', '.join(GATES)}")
    if provenance != "field-report" and gate != GATE_FAIL:
        raise fail("'gate' is for field reports; a documented change always counts towards --fail-on")
    return KBEntry(
        id=entry_id,
        introduced_in=introduced,
        title=raw["title"].strip(),
        summary=raw["summary"].strip(),
        impact=raw["impact"].strip(),
        severity=severity,
        area=str(area),
        remediation=raw["remediation"].strip(),
        mitigation=_mitigation(raw.get("mitigation"), fail),
        upstream=upstream,
        provenance=str(provenance),
        source_file=location.file,
        detector=detector,
        advisory=advisory.strip() if isinstance(advisory, str) else None,
        severity_reason=severity_reason.strip() if isinstance(severity_reason, str) else None,
        caveats=tuple(c.strip() for c in caveats),
        simulation=dict(simulation),
        introduced_on=introduced_on if len(introduced_on) > 1 else (),
        gate=str(gate),
        line=location.line,
    )


def _release_lines(raw: Any, fail: Any) -> tuple[IstioVersion, ...]:
    """``introduced_in``: one version, or the first version of each release line that ships the change."""
    if raw is None:
        raise fail("'introduced_in' is required: the version that first ships the change, such as \"1.21.0\"")
    listed = raw if isinstance(raw, list) else [raw]
    if not listed:
        raise fail("'introduced_in' must name at least one version")
    versions = []
    for item in listed:
        # An unquoted 1.20 is read by YAML as the number 1.2: only text says which version was meant.
        if not isinstance(item, str):
            raise fail(f"'introduced_in' versions must be quoted text such as \"1.21.0\", found {item!r}")
        try:
            versions.append(parse_version(item))
        except VersionError as error:
            raise fail(f"'introduced_in': {error.message}") from None
    if len(versions) == 1:
        if versions[0].patch is None:
            raise fail(f"'introduced_in' {versions[0]} needs a patch number, such as {versions[0].minor_text}.0")
        return tuple(versions)
    problem = ReleaseLines(tuple(versions)).problem()
    if problem:
        raise fail(f"'introduced_in' {problem}")
    return tuple(versions)


def _detector(raw: Any, fail: Any) -> DetectorCall | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        raise fail("'detector' must be a name or a mapping with 'name' and 'params'")
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise fail("'detector.params' must be a mapping")
    problem = registry.check_call(raw["name"], params)
    if problem:
        raise fail(problem)
    return DetectorCall(raw["name"], dict(params))


def _mitigation(raw: Any, fail: Any) -> Mitigation:
    if raw is None:
        raise fail("'mitigation' is required (say 'none' in its text when nothing keeps the old behaviour)")
    if isinstance(raw, str):
        return Mitigation(text=raw.strip())
    if not isinstance(raw, Mapping) or not isinstance(raw.get("text"), str):
        raise fail("'mitigation' must be text or a mapping with 'text'")
    env = raw.get("env") or {}
    mesh_config = raw.get("mesh_config") or {}
    if not isinstance(env, Mapping) or not all(isinstance(v, str) for v in env.values()):
        raise fail("'mitigation.env' must map flag names to string values")
    if not isinstance(mesh_config, Mapping):
        raise fail("'mitigation.mesh_config' must map dotted meshConfig keys to values")
    compat = raw.get("compatibility_version")
    if compat is not None:
        try:
            parse_version(str(compat))
        except VersionError:
            raise fail(f"'mitigation.compatibility_version' '{compat}' is not a version") from None
    profiles = raw.get("compatibility_profiles") or {}
    if not isinstance(profiles, Mapping) or not all(
        isinstance(v, list) and all(isinstance(p, str) for p in v) for v in profiles.values()
    ):
        raise fail("'mitigation.compatibility_profiles' must map a target minor to a list of profile versions")
    for target, listed in profiles.items():
        for version in (str(target), *listed):
            try:
                parse_version(version)
            except VersionError:
                raise fail(f"'mitigation.compatibility_profiles' has '{version}', which is not a version") from None
    install = raw.get("install_values") or {}
    if not isinstance(install, Mapping):
        raise fail("'mitigation.install_values' must map dotted chart value keys to values")
    all_of = raw.get("all_of", False)
    if not isinstance(all_of, bool) or (all_of and not (env and mesh_config)):
        raise fail("'mitigation.all_of' must be true or false, and true only with both 'env' and 'mesh_config'")
    unknown = sorted(
        set(raw)
        - {"text", "env", "mesh_config", "compatibility_version", "compatibility_profiles", "install_values", "all_of"}
    )
    if unknown:
        raise fail(f"'mitigation' has unknown field(s): {', '.join(unknown)}")
    return Mitigation(
        text=raw["text"].strip(),
        env={str(k): v for k, v in env.items()},
        mesh_config={str(k): v for k, v in mesh_config.items()},
        compatibility_version=str(compat) if compat is not None else None,
        compatibility_profiles={str(k): tuple(v) for k, v in profiles.items()},
        install_values={str(k): v for k, v in install.items()},
        all_of=all_of,
    )


def _upstream(raw: Any, fail: Any) -> Upstream:
    if raw is None:
        return Upstream()
    if not isinstance(raw, Mapping):
        raise fail("'upstream' must be a mapping with settings, notes and docs")
    parts = {}
    for key in ("settings", "notes", "docs"):
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"'upstream.{key}' must be a list of text")
        parts[key] = tuple(value)
    for url in parts["docs"]:
        if not url.startswith("https://"):
            raise fail(f"'upstream.docs' must be https URLs: {url}")
    return Upstream(**parts)


def _entry_lines(node: Any) -> list[int]:
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "entries" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _minor_sort_key(path: Path) -> tuple[int, ...]:
    numbers = re.findall(r"\d+", path.stem)
    return tuple(int(n) for n in numbers) or (0,)
