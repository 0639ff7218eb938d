"""``introduced_in`` as a list of release lines: what ``kb validate`` accepts and rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.errors import KnowledgeBaseError
from preflight.kb.loader import load_file, load_knowledge_base
from preflight.versions import parse_version

ENTRY = """minor: "1.21"
entries:
  - id: 1.21-backported
    introduced_in: {introduced}
    title: t
    summary: s
    impact: change
    severity: low
    area: traffic
    advisory: a reason
    remediation: r
    mitigation: none
    upstream: {{notes: [releasenotes/notes/x.yaml]}}
"""


def write(tmp_path: Path, introduced: str) -> Path:
    file = tmp_path / "1.21.yaml"
    file.write_text(ENTRY.format(introduced=introduced), encoding="utf-8")
    return file


def test_a_list_keeps_every_line_and_its_last_version_is_the_main_line(tmp_path: Path) -> None:
    _, _, (entry,) = load_file(write(tmp_path, '["1.19.6", "1.20.2", "1.21.0"]'))
    assert entry.introduced_in == parse_version("1.21.0")
    assert [str(v) for v in entry.release_lines.versions] == ["1.19.6", "1.20.2", "1.21.0"]
    assert entry.minor == "1.21"


def test_a_single_version_is_its_own_only_line(tmp_path: Path) -> None:
    _, _, (entry,) = load_file(write(tmp_path, '"1.21.0"'))
    assert entry.introduced_on == ()
    assert entry.release_lines.versions == (parse_version("1.21.0"),)


@pytest.mark.parametrize(
    ("introduced", "message"),
    [
        ('["1.21.0", "1.20.2"]', "ascending"),
        ('["1.20.2", "1.20.4", "1.21.0"]', "one minor line twice"),
        ('["1.20.0", "1.21.0"]', ".0 release before the main line"),
        ('["1.20", "1.21.0"]', "patch number"),
        ('"1.21"', "patch number"),
        ("[1.20, 1.21]", "quoted text"),  # YAML reads these as the numbers 1.2 and 1.21
        ('["1.20.2", "1.22.0"]', "does not belong in the file for 1.21"),
        ("[]", "at least one"),
        ('["1.20.2", "banana"]', "not an Istio version"),
        ("", "is required"),
    ],
)
def test_kb_validate_rejects_release_lines_that_make_no_sense(tmp_path: Path, introduced: str, message: str) -> None:
    file = write(tmp_path, introduced)
    with pytest.raises(KnowledgeBaseError, match=message) as raised:
        load_file(file)
    assert f"{file}:3" in str(raised.value)  # file and line of the entry


def test_every_shipped_release_line_list_is_valid() -> None:
    backported = [e for e in load_knowledge_base().entries if e.introduced_on]
    assert {e.id for e in backported} >= {
        "1.21-wildcard-virtual-service-precedence",
        "1.27-cacerts-bundle-completeness",
        "1.30-xds-debug-authentication",
    }
    for entry in backported:
        assert entry.release_lines.problem() is None
        assert entry.introduced_on[-1] == entry.introduced_in
