"""Every upstream behaviour change is cited by some knowledge-base entry.

Reads the reference folder ``../shared/reference/istio/`` (beside the repository; the
test is skipped when it is absent) and checks three kinds of upstream items:

* release notes, minors 1.10 to 1.30 (``release-notes/1.NN.yaml``) and the notes added in
  their patch releases (``patch-release-notes/1.NN.yaml``): each note sits after a
  ``--- # source: istio/istio <path> (tag …)`` line; a note with a non-empty upgrade note
  must appear by that ``<path>`` in some entry's ``upstream.notes``. Upstream spells the key
  ``upgradeNotes``, and sometimes ``upgradeNote`` or ``upgradeNodes``: all three count. A note
  file shipped on several release lines is one item (an entry lists those lines in
  ``introduced_in``); it is listed under the lowest minor that ships it.
* istio.io upgrade-notes sections, minors 1.10 to 1.31 (``upgrade-notes/1.NN.md``): every
  section heading outside the front matter and code fences must appear in some entry's
  ``upstream.docs`` as
  ``https://istio.io/latest/news/releases/1.NN.x/announcing-1.NN/upgrade-notes/#<anchor>``.
  Sections are ``## `` headings, plus ``# `` headings in the body, because upstream
  sometimes writes a section one level too high (1.29). The anchor is GitHub's: the
  heading text lowercased, every character other than a letter, digit, space, ``_`` or
  ``-`` dropped (so backticks, dots, slashes, quotes and ``*`` go), each space turned into
  ``-``.
* compatibility-profile keys, every profile under ``compatibility-profiles/*/``: each
  leaf key must appear in some entry's ``upstream.settings``. The rule for spelling it:
  a leaf under ``pilot.env`` is cited by its flag name alone (``ENABLE_AUTO_SNI``); any
  other leaf by its full dotted path exactly as the profile spells it, including proxy
  metadata flags and upstream's mistakes
  (``meshConfig.defaultConfig.proxyMetadata.ISTIO_DELTA_XDS``,
  ``meshConfig.proxyMetadata.ISTIO_DELTA_XDS`` where a profile nests it wrongly,
  ``cni.ambient.reconcileIptablesOnStartup``), except that a quote typed into a key name
  is left out of the citation. A missing profile key is listed under
  the minor its ``# 1.NN behavioral changes`` comment names, else under the minor after
  the profile's compatibility version.

Coverage figures are printed (run with ``-s`` to see them); the test fails below 100 %
and lists what is missing, grouped by minor.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight.kb.interface import KnowledgeBase
from preflight.kb.loader import load_knowledge_base

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPO_ROOT.parent / "shared" / "reference" / "istio"
RELEASE_NOTE_MINORS = range(10, 31)  # 1.10 … 1.30
RELEASE_NOTE_FOLDERS = ("release-notes", "patch-release-notes")
# Upstream's spellings of the upgrade-note key, the misspelled ones included.
UPGRADE_NOTE_KEYS = ("upgradeNotes", "upgradeNote", "upgradeNodes")
UPGRADE_NOTE_MINORS = range(10, 32)  # 1.10 … 1.31
DOCS_URL = "https://istio.io/latest/news/releases/{minor}.x/announcing-{minor}/upgrade-notes/#{anchor}"

_SOURCE_LINE = re.compile(r"^--- # source: istio/istio (\S+) \(")
_HEADING = re.compile(r"^(#{1,2}) +(.+?) *#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BEHAVIOUR_COMMENT = re.compile(r"#\s*(\d+\.\d+) behaviou?r")
_PROFILE_VERSION = re.compile(r"compatibility-version-(\d+)\.(\d+)\.yaml$")


@dataclass(frozen=True, order=True)
class Item:
    minor: str
    kind: str  # "release note", "upgrade-notes section", "profile key"
    citation: str  # exactly what an entry must cite
    origin: str  # where it was read


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading (the rule istio.io follows)."""
    kept = "".join(c for c in heading.lower() if c.isalnum() or c in " _-")
    return kept.replace(" ", "-")


def release_note_items(reference: Path) -> Iterator[Item]:
    for folder in RELEASE_NOTE_FOLDERS:
        for number in RELEASE_NOTE_MINORS:
            minor = f"1.{number}"
            file = reference / folder / f"{minor}.yaml"
            for path, text in _release_note_documents(file):
                # A note file may itself hold several YAML documents (50328.yaml in 1.24).
                notes = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
                if any(has_upgrade_note(note) for note in notes):
                    yield Item(minor, "release note", path, f"{folder}/{file.name}")


def has_upgrade_note(note: Any) -> bool:
    return isinstance(note, Mapping) and any(note.get(key) for key in UPGRADE_NOTE_KEYS)


def _release_note_documents(file: Path) -> Iterator[tuple[str, str]]:
    path: str | None = None
    lines: list[str] = []
    for line in file.read_text(encoding="utf-8").splitlines():
        found = _SOURCE_LINE.match(line)
        if found:
            if path is not None:
                yield path, "\n".join(lines)
            path, lines = found.group(1), []
        elif path is not None:
            lines.append(line)
    if path is not None:
        yield path, "\n".join(lines)


def upgrade_note_items(reference: Path) -> Iterator[Item]:
    for number in UPGRADE_NOTE_MINORS:
        minor = f"1.{number}"
        file = reference / "upgrade-notes" / f"{minor}.md"
        for heading in section_headings(file.read_text(encoding="utf-8")):
            url = DOCS_URL.format(minor=minor, anchor=anchor(heading))
            yield Item(minor, "upgrade-notes section", url, f"{file.name}: {heading}")


def section_headings(markdown: str) -> Iterator[str]:
    in_front_matter = False
    in_fence = False
    seen_body = False
    for line in markdown.splitlines():
        if not seen_body and line.strip() == "---":
            in_front_matter = not in_front_matter
            continue
        if in_front_matter or line.startswith("<!--"):
            continue
        seen_body = True
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        found = None if in_fence else _HEADING.match(line)
        if found:
            yield found.group(2).strip()


def profile_key_items(reference: Path) -> Iterator[Item]:
    for file in sorted((reference / "compatibility-profiles").glob("*/*.yaml")):
        version = _PROFILE_VERSION.search(file.name)
        fallback_minor = f"{version.group(1)}.{int(version.group(2)) + 1}" if version else "?"
        text = file.read_text(encoding="utf-8")
        minor_of_key = _minor_comments(text)
        data = yaml.load(text, Loader=yaml.CSafeLoader) or {}
        for dotted in _leaf_paths(data):
            citation = dotted.removeprefix("pilot.env.") if dotted.startswith("pilot.env.") else dotted
            # A quote typed into a key name (1.23.0's `ENABLE_DELIMITED_STATS_TAG_REGEX"`) is not copied into the
            # KB: the key is cited as meant, and the entry's caveat says the profile misspells it.
            citation = citation.replace('"', "").replace("'", "")
            minor = minor_of_key.get(dotted.rsplit(".", 1)[-1], fallback_minor)
            yield Item(minor, "profile key", citation, f"{file.parent.name}/{file.name}")


def _leaf_paths(data: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(data, Mapping) and data:
        for key, value in data.items():
            yield from _leaf_paths(value, f"{prefix}{key}.")
    elif prefix:
        yield prefix[:-1]


def _minor_comments(text: str) -> dict[str, str]:
    """Last key segment → the minor named by the nearest ``# 1.NN behavioral changes`` above it."""
    current: str | None = None
    found: dict[str, str] = {}
    for line in text.splitlines():
        comment = _BEHAVIOUR_COMMENT.search(line)
        if comment:
            current = comment.group(1)
        key = re.match(r"^\s*([^#\s][^:]*):", line)
        if key and current:
            found[key.group(1).strip().strip("'")] = current
    return found


def cited(kb: KnowledgeBase) -> set[str]:
    citations: set[str] = set()
    for entry in kb.entries:
        citations.update(entry.upstream.notes, entry.upstream.docs, entry.upstream.settings)
    return citations


def _minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) for p in minor.split(".") if p.isdigit())


def test_every_upstream_change_is_cited() -> None:
    if not REFERENCE.is_dir():
        pytest.skip(f"reference folder {REFERENCE} is absent: upstream coverage cannot be computed")
    items = sorted(
        {*release_note_items(REFERENCE), *upgrade_note_items(REFERENCE), *profile_key_items(REFERENCE)}
    )
    # The same key in several profiles is one item to cite; keep its lowest minor.
    unique: dict[tuple[str, str], Item] = {}
    for item in items:
        key = (item.kind, item.citation)
        if key not in unique or _minor_key(item.minor) < _minor_key(unique[key].minor):
            unique[key] = item
    citations = cited(load_knowledge_base())
    missing = [item for item in unique.values() if item.citation not in citations]

    lines = ["Upstream coverage of the knowledge base:"]
    for kind in ("release note", "upgrade-notes section", "profile key"):
        total = sum(1 for i in unique.values() if i.kind == kind)
        covered = total - sum(1 for i in missing if i.kind == kind)
        share = 100.0 * covered / total if total else 100.0
        lines.append(f"  {kind + 's':24} {covered:4d}/{total:<4d} {share:6.1f} %")
    overall = 100.0 * (len(unique) - len(missing)) / len(unique) if unique else 100.0
    lines.append(f"  {'overall':24} {len(unique) - len(missing):4d}/{len(unique):<4d} {overall:6.1f} %")
    print("\n" + "\n".join(lines))

    if missing:
        grouped: dict[str, list[Item]] = defaultdict(list)
        for item in missing:
            grouped[item.minor].append(item)
        report = [
            f"{len(missing)} upstream item(s) are cited by no KB entry. Add or extend the entry in "
            "knowledge/<minor>.yaml (upstream.notes: release-note path; upstream.docs: section URL; "
            "upstream.settings: profile key as spelled below):"
        ]
        for minor in sorted(grouped, key=_minor_key):
            report.append(f"  {minor}:")
            for item in sorted(grouped[minor]):
                report.append(f"    - {item.kind}: {item.citation}   [{item.origin}]")
        pytest.fail("\n".join(lines + report), pytrace=False)


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("`gogo/protobuf` library migration", "gogoprotobuf-library-migration"),
        (
            "Default revision must be switched when performing a revision-based upgrade.",
            "default-revision-must-be-switched-when-performing-a-revision-based-upgrade",
        ),
        (
            "Host header fallback disabled by default for Prometheus metrics for *all* inbound traffic",
            "host-header-fallback-disabled-by-default-for-prometheus-metrics-for-all-inbound-traffic",
        ),
        (
            "`EnvoyFilter` `match.routeConfiguration.vhost.name` semantics change",
            "envoyfilter-matchrouteconfigurationvhostname-semantics-change",
        ),
        (
            "HTTP compression of Envoy metrics (`prometheus_stats`) enabled by default",
            "http-compression-of-envoy-metrics-prometheus_stats-enabled-by-default",
        ),
        ("Compatibility with cert-manager's `istio-csr`", "compatibility-with-cert-managers-istio-csr"),
    ],
)
def test_anchor_follows_the_github_rule(heading: str, expected: str) -> None:
    assert anchor(heading) == expected


def test_section_headings_skip_front_matter_comments_and_code() -> None:
    markdown = (
        "<!-- source: somewhere -->\n---\ntitle: Upgrade Notes\n# not a heading: front matter\n---\n\n"
        "Intro.\n\n## First change\n\n```yaml\n# a YAML comment\n## not a heading either\n```\n"
        "# Misplaced top-level section\n### Sub-heading is not a section\n"
    )
    assert list(section_headings(markdown)) == ["First change", "Misplaced top-level section"]


def test_profile_leaves_follow_the_citation_rule(tmp_path: Path) -> None:
    folder = tmp_path / "compatibility-profiles" / "at-1.23.0"
    folder.mkdir(parents=True)
    (folder / "compatibility-version-1.21.yaml").write_text(
        "pilot:\n  env:\n    # 1.22 behavioral changes\n    FLAG_A: \"false\"\n"
        "meshConfig:\n  defaultConfig:\n    proxyMetadata:\n      # 1.23 behavioral changes\n"
        "      FLAG_B: \"false\"\n    tracing:\n      zipkin:\n        address: z:9411\n",
        encoding="utf-8",
    )
    found = {(i.citation, i.minor) for i in profile_key_items(tmp_path)}
    assert found == {
        ("FLAG_A", "1.22"),
        ("meshConfig.defaultConfig.proxyMetadata.FLAG_B", "1.23"),
        ("meshConfig.defaultConfig.tracing.zipkin.address", "1.23"),
    }


def test_patch_notes_and_misspelled_upgrade_note_keys_count(tmp_path: Path) -> None:
    for folder in RELEASE_NOTE_FOLDERS:
        (tmp_path / folder).mkdir()
        for number in RELEASE_NOTE_MINORS:
            (tmp_path / folder / f"1.{number}.yaml").write_text("", encoding="utf-8")
    (tmp_path / "release-notes" / "1.27.yaml").write_text(
        "--- # source: istio/istio releasenotes/notes/singular.yaml (tag 1.27.0)\n"
        "upgradeNote:\n- title: A\n  content: b\n"
        "--- # source: istio/istio releasenotes/notes/typo.yaml (tag 1.27.0)\n"
        "upgradeNodes:\n- title: A\n  content: b\n"
        "--- # source: istio/istio releasenotes/notes/empty.yaml (tag 1.27.0)\n"
        "upgradeNotes: []\nreleaseNotes: [x]\n",
        encoding="utf-8",
    )
    (tmp_path / "patch-release-notes" / "1.26.yaml").write_text(
        "--- # source: istio/istio releasenotes/notes/backport.yaml (tag 1.26.1)\n"
        "upgradeNotes:\n- title: A\n  content: b\n",
        encoding="utf-8",
    )
    found = {(i.citation.rsplit("/", 1)[-1], i.minor, i.origin) for i in release_note_items(tmp_path)}
    assert found == {
        ("singular.yaml", "1.27", "release-notes/1.27.yaml"),
        ("typo.yaml", "1.27", "release-notes/1.27.yaml"),
        ("backport.yaml", "1.26", "patch-release-notes/1.26.yaml"),
    }
