"""What an istio/istio checkout says that the knowledge base does not: ``preflight kb audit``.

The audit walks every release tag (minor and patch) in range, each against the tag before
it *on its own release line* (``1.21.0`` against ``1.20.0``, ``1.21.3`` against ``1.21.2``),
so a note backported to a patch is seen on that patch's line too. It reports four kinds of gap:

* **upgrade notes**: release-note files added at a tag that carry an upgrade note (upstream
  spells the key ``upgradeNotes``, ``upgradeNote`` or ``upgradeNodes``) and that no entry cites
  in ``upstream.notes`` for that release line. An entry is on a line when it lists a version of
  that line in ``introduced_in`` or the line is its main line or later. The only gap that
  fails the audit (exit 1), so it can run as a scheduled job;
* **flag defaults**: env flags whose default (the Go expression, as written) changed from the
  previous tag of the line, and that no entry names (``upstream.settings``, or a mitigation's
  env flag, proxy-metadata key or chart ``env.`` value);
* **missing mitigation flags**: a flag a mitigation names that Istio does not register at a tag
  where the entry's change is present, so the mitigation cannot work there;
* **profile settings**: a key a ``compatibility-version-*.yaml`` profile sets that no entry cites
  in ``upstream.settings`` (a ``pilot.env.`` key by its flag name, any other key by its dotted
  path, a quote typed into the key left out).

It also compares the flag part of the setting lifetimes (``knowledge/settings/lifetimes.yaml``)
with what the same reader (:class:`IstioRepo`) finds, tag by tag, so stale data is reported
rather than trusted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from preflight.errors import InputError, Location
from preflight.kb.interface import KBEntry, KnowledgeBase
from preflight.kb.istio_source import IstioRepo
from preflight.kb.settings import LIBRARY_FLAGS, SettingLifetimes, env_flag_of
from preflight.versions import parse_version

UPGRADE_NOTE_KEYS = ("upgradeNotes", "upgradeNote", "upgradeNodes")
# Read when a note file is not valid YAML: an upgrade-note key at the start of a line still counts (fail closed).
_UPGRADE_NOTE_LINE = re.compile(r"^(?:upgradeNotes|upgradeNote|upgradeNodes)\s*:", re.M)
_TITLE_LENGTH = 100
_GO_KEYWORDS = frozenset({"true", "false", "nil"})


@dataclass(frozen=True)
class NoteAdded:
    tag: str
    path: str
    title: str
    upgrade_note: bool
    cited_by: tuple[str, ...]  # entry ids citing it on the tag's release line


@dataclass(frozen=True)
class DefaultChange:
    tag: str
    previous_tag: str
    flag: str
    before: str
    after: str
    file: str


@dataclass(frozen=True)
class MissingFlag:
    entry_id: str
    flag: str
    tags: tuple[str, ...]  # where the change is present and the flag is not registered


@dataclass(frozen=True)
class ProfileSetting:
    profile: str
    key: str
    citation: str  # what an entry's ``upstream.settings`` must say
    first_tag: str


@dataclass(frozen=True)
class LifetimeMismatch:
    flag: str
    tag: str
    recorded: str  # what lifetimes.yaml says
    found: str  # what the repository says


@dataclass(frozen=True)
class AuditReport:
    repository: str
    tags: tuple[str, ...]
    notes: tuple[NoteAdded, ...]
    default_changes: tuple[DefaultChange, ...]  # uncited only
    missing_flags: tuple[MissingFlag, ...]
    profile_settings: tuple[ProfileSetting, ...]  # uncited only
    lifetime_mismatches: tuple[LifetimeMismatch, ...] = field(default=())

    @property
    def upgrade_notes(self) -> tuple[NoteAdded, ...]:
        return tuple(n for n in self.notes if n.upgrade_note)

    @property
    def uncited_upgrade_notes(self) -> tuple[NoteAdded, ...]:
        return tuple(n for n in self.upgrade_notes if not n.cited_by)

    @property
    def passed(self) -> bool:
        return not self.uncited_upgrade_notes


def audit(
    istio: IstioRepo,
    kb: KnowledgeBase,
    since: str | None = None,
    until: str | None = None,
    lifetimes: SettingLifetimes | None = None,
) -> AuditReport:
    every_tag = istio.release_tags()
    tags = istio.release_tags(since, until)
    if not tags:  # an audit that read nothing must not pass
        raise InputError(
            f"no release tags from {since or 'the first'} to {until or 'the newest'}", Location(str(istio.path))
        )
    previous = previous_on_line(every_tag)
    notes: list[NoteAdded] = []
    changes: list[DefaultChange] = []
    flags_at: dict[str, Mapping[str, Any]] = {}
    profile_first: dict[tuple[str, str], str] = {}
    flag_citations = _flag_citations(kb.entries)
    for tag in tags:
        before = previous.get(tag)
        for path, text in sorted(istio.release_notes_added(tag, before).items()):
            title, upgrade = read_note(text)
            notes.append(NoteAdded(tag, path, title, upgrade, _citing(kb.entries, path, tag)))
        flags = istio.env_flags(tag)
        flags_at[tag] = flags
        if before is not None:
            earlier = flags_at.get(before) or istio.env_flags(before)
            for name, flag in sorted(flags.items()):
                old = earlier.get(name)
                if (
                    old is not None
                    and old.default != flag.default
                    and name not in flag_citations
                    and effective_default(istio, before, old.default) != effective_default(istio, tag, flag.default)
                ):
                    changes.append(DefaultChange(tag, before, name, old.default, flag.default, flag.file))
        for profile, settings in istio.compatibility_profiles(tag).items():
            for key in settings:
                profile_first.setdefault((profile, key), tag)
    profile_citations = {s for e in kb.entries for s in e.upstream.settings}
    uncited_profiles = tuple(
        ProfileSetting(profile, key, profile_citation(key), tag)
        for (profile, key), tag in sorted(
            profile_first.items(), key=lambda item: (parse_version(item[0][0]), item[0][1])
        )
        if profile_citation(key) not in profile_citations
    )
    return AuditReport(
        repository=str(istio.path),
        tags=tuple(tags),
        notes=tuple(notes),
        default_changes=tuple(changes),
        missing_flags=tuple(_missing_flags(istio, kb.entries, tags, flags_at)),
        profile_settings=uncited_profiles,
        lifetime_mismatches=tuple(_lifetime_mismatches(lifetimes, flags_at)) if lifetimes else (),
    )


def previous_on_line(tags: Sequence[str]) -> dict[str, str]:
    """Each tag → the tag before it on its release line; a minor's first tag → the previous minor's first."""
    by_minor: dict[tuple[int, int], list[str]] = {}
    for tag in tags:
        by_minor.setdefault(parse_version(tag).minor_key, []).append(tag)
    previous: dict[str, str] = {}
    first_of_previous_minor: str | None = None
    for minor in sorted(by_minor):
        line = by_minor[minor]
        if first_of_previous_minor is not None:
            previous[line[0]] = first_of_previous_minor
        previous.update(zip(line[1:], line[:-1], strict=True))
        first_of_previous_minor = line[0]
    return previous


def effective_default(istio: IstioRepo, tag: str, expression: str) -> str:
    """A flag default as the environment would spell it, so that writing it differently is no change:
    ``"false"`` and ``false`` are one value, and a Go constant stands for the literal it is defined as."""
    if expression not in _GO_KEYWORDS:
        expression = istio.go_constant(tag, expression) or expression
    return expression[1:-1] if len(expression) >= 2 and expression[0] == expression[-1] == '"' else expression


def read_note(text: str) -> tuple[str, bool]:
    """A release-note file's title and whether it carries an upgrade note (a file may hold several documents)."""
    try:
        documents = [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if isinstance(d, Mapping)]
    except yaml.YAMLError:
        return "(not valid YAML)", bool(_UPGRADE_NOTE_LINE.search(text))
    upgrade_notes = [n for d in documents for key in UPGRADE_NOTE_KEYS for n in _as_list(d.get(key))]
    for note in upgrade_notes:
        if isinstance(note, Mapping) and isinstance(note.get("title"), str):
            return _shorten(note["title"]), True
    for document in documents:
        for text_note in _as_list(document.get("releaseNotes")):
            if isinstance(text_note, str) and text_note.strip():
                return _shorten(text_note), bool(upgrade_notes)
    return "", bool(upgrade_notes)


def _as_list(value: Any) -> list[Any]:
    if not value:
        return []
    return value if isinstance(value, list) else [value]


def _shorten(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _TITLE_LENGTH else line[: _TITLE_LENGTH - 1] + "…"


def reaches_line(entry: KBEntry, minor_key: tuple[int, int]) -> bool:
    lines = entry.release_lines
    return lines.on_line(minor_key) is not None or minor_key >= lines.main_line.minor_key


def _citing(entries: Iterable[KBEntry], path: str, tag: str) -> tuple[str, ...]:
    minor = parse_version(tag).minor_key
    return tuple(e.id for e in entries if path in e.upstream.notes and reaches_line(e, minor))


def mitigation_flags(entry: KBEntry) -> set[str]:
    """The env flags an entry's mitigation depends on, however it spells them."""
    mitigation = entry.mitigation
    named = [
        *(("env", k) for k in mitigation.env),
        *(("mesh_config", k) for k in mitigation.mesh_config),
        *(("install_values", k) for k in mitigation.install_values),
    ]
    return {flag for kind, name in named if (flag := env_flag_of(kind, name)) is not None}


def _flag_citations(entries: Iterable[KBEntry]) -> set[str]:
    cited: set[str] = set()
    for entry in entries:
        cited.update(entry.upstream.settings)
        cited.update(mitigation_flags(entry))
    return cited


def profile_citation(key: str) -> str:
    """How an entry cites a profile key: ``pilot.env.X`` by ``X``, any other by its dotted path."""
    citation = key.removeprefix("pilot.env.") if key.startswith("pilot.env.") else key
    return citation.replace('"', "").replace("'", "")


def _missing_flags(
    istio: IstioRepo, entries: Iterable[KBEntry], tags: Sequence[str], flags_at: Mapping[str, Mapping[str, Any]]
) -> Iterable[MissingFlag]:
    required: dict[tuple[str, str], bool] = {}

    def registered(flag: str, tag: str) -> bool:
        if flag in LIBRARY_FLAGS:  # read by a linked Go library: there while go.mod requires it
            key = (flag, tag)
            if key not in required:
                required[key] = istio.go_module_version(tag, LIBRARY_FLAGS[flag]) is not None
            return required[key]
        return flag in flags_at[tag]

    for entry in entries:
        reached = [t for t in tags if entry.release_lines.present_in(parse_version(t))]
        for flag in sorted(mitigation_flags(entry)):
            missing = tuple(t for t in reached if not registered(flag, t))
            if missing:
                yield MissingFlag(entry.id, flag, missing)


def _lifetime_mismatches(
    lifetimes: SettingLifetimes, flags_at: Mapping[str, Mapping[str, Any]]
) -> Iterable[LifetimeMismatch]:
    for flag in sorted(lifetimes.settings.get("env", {})):
        if flag in LIBRARY_FLAGS:
            continue  # generated with the library's own clone, which the audit does not read
        defaults = lifetimes.env_defaults.get(flag, ())
        for tag in lifetimes.tags:
            if tag not in flags_at:
                continue
            recorded_exists = lifetimes.exists("env", flag, parse_version(tag))
            found = flags_at[tag].get(flag)
            if bool(recorded_exists) != (found is not None):
                yield LifetimeMismatch(
                    flag, tag, "exists" if recorded_exists else "absent", "exists" if found else "absent"
                )
            elif found is not None:
                recorded_default = _default_at(defaults, lifetimes.tags, tag)
                if recorded_default is not None and recorded_default != found.default:
                    yield LifetimeMismatch(flag, tag, f"default {recorded_default}", f"default {found.default}")


def _default_at(changes: Sequence[tuple[str, str]], tags: Sequence[str], tag: str) -> str | None:
    index = {t: i for i, t in enumerate(tags)}
    value = None
    for first, default in changes:
        if index.get(first, len(tags)) <= index[tag]:
            value = default
    return value


# --- output -------------------------------------------------------------------------------------------------


def to_json(report: AuditReport) -> dict[str, Any]:
    return {
        "repository": report.repository,
        "tags": list(report.tags),
        "summary": summary(report),
        "passed": report.passed,
        "notes": [
            {
                "tag": n.tag,
                "path": n.path,
                "title": n.title,
                "upgrade_note": n.upgrade_note,
                "cited_by": list(n.cited_by),
            }
            for n in report.notes
        ],
        "flag_default_changes": [
            {
                "tag": c.tag,
                "previous_tag": c.previous_tag,
                "flag": c.flag,
                "before": c.before,
                "after": c.after,
                "file": c.file,
            }
            for c in report.default_changes
        ],
        "missing_mitigation_flags": [
            {"entry": m.entry_id, "flag": m.flag, "tags": list(m.tags)} for m in report.missing_flags
        ],
        "uncited_profile_settings": [
            {"profile": p.profile, "key": p.key, "citation": p.citation, "first_tag": p.first_tag}
            for p in report.profile_settings
        ],
        "lifetime_mismatches": [
            {"flag": m.flag, "tag": m.tag, "recorded": m.recorded, "found": m.found} for m in report.lifetime_mismatches
        ],
    }


def summary(report: AuditReport) -> dict[str, int]:
    return {
        "tags": len(report.tags),
        "notes_added": len(report.notes),
        "upgrade_notes": len(report.upgrade_notes),
        "uncited_upgrade_notes": len(report.uncited_upgrade_notes),
        "uncited_flag_default_changes": len(report.default_changes),
        "missing_mitigation_flags": len(report.missing_flags),
        "uncited_profile_settings": len(report.profile_settings),
        "lifetime_mismatches": len(report.lifetime_mismatches),
    }


def to_table(report: AuditReport) -> str:
    """Plain-text tables, one per kind of gap; upgrade notes are all listed, cited or not."""
    out: list[str] = []
    first, last = (report.tags[0], report.tags[-1]) if report.tags else ("-", "-")
    out.append(f"{len(report.tags)} tags read ({first} … {last}) from {report.repository}")
    out.append("")
    out.append("Upgrade notes")
    out.extend(
        _table(
            ("TAG", "NOTE FILE", "TITLE", "CITED BY"),
            [(n.tag, n.path, n.title, ", ".join(n.cited_by) or "UNCITED") for n in report.upgrade_notes],
        )
    )
    sections: list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]] = [
        (
            "Flag defaults changed, cited by no entry",
            ("TAG", "FLAG", "BEFORE", "AFTER", "FILE"),
            [(f"{c.previous_tag} → {c.tag}", c.flag, c.before, c.after, c.file) for c in report.default_changes],
        ),
        (
            "Flags a mitigation names that Istio does not register where the change is present",
            ("ENTRY", "FLAG", "TAGS"),
            [(m.entry_id, m.flag, _tag_runs(m.tags, report.tags)) for m in report.missing_flags],
        ),
        (
            "Compatibility-profile settings cited by no entry",
            ("PROFILE", "KEY", "CITE AS", "FIRST TAG"),
            [(p.profile, p.key, p.citation, p.first_tag) for p in report.profile_settings],
        ),
        (
            "Setting lifetimes (knowledge/settings/lifetimes.yaml) disagreeing with the repository",
            ("FLAG", "TAG", "RECORDED", "FOUND"),
            [(m.flag, m.tag, m.recorded, m.found) for m in report.lifetime_mismatches],
        ),
    ]
    for heading, header, rows in sections:
        out.append("")
        out.append(f"{heading}: {len(rows)}")
        if rows:
            out.extend(_table(header, rows))
    counts = summary(report)
    out.append("")
    out.append(
        f"{counts['upgrade_notes']} upgrade notes in {counts['notes_added']} note files added, "
        f"{counts['uncited_upgrade_notes']} uncited"
        + ("" if report.passed else ": the knowledge base is missing upstream changes")
    )
    return "\n".join(out) + "\n"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]


def _tag_runs(tags: Sequence[str], order: Sequence[str]) -> str:
    """``1.26.0, 1.26.1, 1.26.2`` → ``1.26.0..1.26.2`` over the audit's tag order."""
    index = {t: i for i, t in enumerate(order)}
    runs: list[list[str]] = []
    for tag in tags:
        if runs and index[tag] == index[runs[-1][-1]] + 1:
            runs[-1].append(tag)
        else:
            runs.append([tag])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}..{run[-1]}" for run in runs)
