"""The shipped knowledge base loads, cites its sources, and every detector is documented and tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.detectors import registry
from preflight.kb.loader import load_file, load_knowledge_base
from preflight.resources import bundled_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
DETECTOR_TESTS = REPO_ROOT / "tests" / "detectors"
KNOWLEDGE_FILES = sorted(bundled_dir("knowledge").glob("*.yaml"))


@pytest.mark.parametrize("file", KNOWLEDGE_FILES, ids=lambda f: f.name)
def test_every_shipped_file_loads_and_holds_its_own_minor(file: Path) -> None:
    minor, _, entries = load_file(file)
    assert file.stem == minor
    assert all(entry.minor == minor for entry in entries)


def test_the_whole_knowledge_base_loads() -> None:
    kb = load_knowledge_base()
    assert kb.minors[0] == "1.10"
    assert len(kb.minors) == len(KNOWLEDGE_FILES)


def test_every_entry_cites_upstream_or_explains_its_field_report() -> None:
    for entry in load_knowledge_base().entries:
        upstream = entry.upstream
        if entry.provenance == "upstream":
            assert upstream.notes or upstream.docs or upstream.settings, entry.id
        else:
            assert entry.caveats, entry.id


def test_every_docs_citation_is_an_istio_page() -> None:
    for entry in load_knowledge_base().entries:
        for url in entry.upstream.docs:
            assert url.startswith("https://istio.io/"), f"{entry.id}: {url}"


def test_every_release_note_citation_is_a_release_note_path() -> None:
    for entry in load_knowledge_base().entries:
        for note in entry.upstream.notes:
            assert note.startswith("releasenotes/notes/") and note.endswith(".yaml"), f"{entry.id}: {note}"


@pytest.mark.parametrize("name", sorted(registry.detectors()))
def test_every_detector_is_documented(name: str) -> None:
    documentation = registry.documentation(name)
    assert documentation, f"detector {name} has no module docstring"
    assert "Parameters" in documentation, f"detector {name} does not document its parameters"


@pytest.mark.parametrize("name", sorted(registry.detectors()))
def test_every_detector_has_a_test_file_that_runs_it(name: str) -> None:
    test_file = DETECTOR_TESTS / f"test_{name}.py"
    assert test_file.is_file(), f"detector {name} has no tests/detectors/test_{name}.py"
    assert f'"{name}"' in test_file.read_text(encoding="utf-8"), f"{test_file.name} never runs {name}"


def test_every_detector_the_knowledge_base_calls_exists() -> None:
    known = registry.detectors()
    for entry in load_knowledge_base().entries:
        if entry.detector is not None:
            assert entry.detector.name in known, entry.id


def test_naming_the_built_in_directory_validates_it_once() -> None:
    from preflight.resources import bundled_dir

    assert len(load_knowledge_base([bundled_dir("knowledge")]).entries) == len(load_knowledge_base().entries)
