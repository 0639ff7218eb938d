"""``preflight kb audit`` against a small istio/istio-shaped repository built here, bare and not."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from preflight.cli import main
from preflight.kb.audit import audit, previous_on_line, read_note
from preflight.kb.istio_source import IstioRepo
from preflight.kb.loader import load_knowledge_base
from preflight.kb.settings import SettingLifetimes
from tests.kb.istio_repo_builder import FakeIstio, features

NOTES = "releasenotes/notes"


def note(title: str, key: str = "upgradeNotes") -> str:
    return (
        "apiVersion: release-notes/v2\nkind: feature\narea: traffic-management\n"
        f"releaseNotes:\n  - |\n    **Changed** {title}.\n"
        f"{key}:\n  - title: {title}\n    content: |\n      What operators must do.\n"
    )


PLAIN_NOTE = "apiVersion: release-notes/v2\nkind: bug-fix\nreleaseNotes:\n  - |\n    **Fixed** a crash.\n"
# One file, two YAML documents; only the second carries an upgrade note (as 50328.yaml did in 1.24).
TWO_DOCUMENTS = PLAIN_NOTE + "---\n" + note("Second document changes things", "upgradeNodes")

OVERLAY_ENTRY = """  - id: {id}
    introduced_in: {introduced}
    title: A change the audit test cites
    summary: Something changes.
    impact: behave differently
    severity: low
    area: traffic
    advisory: Not visible in a snapshot.
    remediation: Fix it.
    mitigation:
      text: Set the flag.
      env: {env}
    upstream:
      settings: {settings}
      notes: {notes}
"""


def build_repo(root: Path) -> Path:
    istio = FakeIstio(root)
    istio.release(
        "1.39.0",
        {
            "pilot/pkg/features/pilot.go": features(
                ("AUDIT_CITED_DEFAULT", "false"),
                ("AUDIT_UNCITED_DEFAULT", '"old"'),
                ("AUDIT_MITIGATION", "false"),
                ("AUDIT_RESPELLED", '"istio-system"'),
                ("AUDIT_QUOTED", "false"),
            ),
            f"{NOTES}/zz-audit-before.yaml": note("Before the range"),
        },
    )
    istio.release(
        "1.40.0",
        {
            # Written differently, the same value: a Go constant for the literal, a string for the boolean.
            "pilot/pkg/features/pilot.go": features(
                ("AUDIT_CITED_DEFAULT", "true"),
                ("AUDIT_UNCITED_DEFAULT", '"new"'),
                ("AUDIT_MITIGATION", "false"),
                ("AUDIT_RESPELLED", "constants.AuditNamespace"),
                ("AUDIT_QUOTED", '"false"'),
            ),
            "pkg/config/constants/constants.go": 'package constants\n\nconst (\n\tAuditNamespace = "istio-system"\n)\n',
            f"{NOTES}/zz-audit-cited.yaml": note("A cited upgrade note"),
            f"{NOTES}/zz-audit-uncited.yaml": note("An uncited upgrade note", "upgradeNote"),
            f"{NOTES}/zz-audit-plain.yaml": PLAIN_NOTE,
            f"{NOTES}/zz-audit-two-documents.yaml": TWO_DOCUMENTS,
            f"{NOTES}/zz-audit-no-extension": note("A note file named without .yaml"),
            "manifests/helm-profiles/compatibility-version-1.39.yaml": (
                'pilot:\n  env:\n    AUDIT_CITED_DEFAULT: "false"\n    AUDIT_PROFILE_ONLY: "true"\n'
                'meshConfig:\n  defaultConfig:\n    proxyMetadata:\n      AUDIT_PROXY_ONLY: "true"\n'
            ),
        },
    )
    istio.release(
        "1.40.1",
        {
            f"{NOTES}/zz-audit-backported.yaml": note("Backported, cited for 1.41 only"),
            f"{NOTES}/zz-audit-backported-listed.yaml": note("Backported and listed for 1.40"),
        },
    )
    istio.release(
        "1.41.0",
        {
            # AUDIT_MITIGATION is gone: the 1.40 entry's mitigation no longer works here.
            "pilot/pkg/features/pilot.go": features(
                ("AUDIT_CITED_DEFAULT", "true"), ("AUDIT_UNCITED_DEFAULT", '"new"')
            ),
            f"{NOTES}/zz-audit-backported.yaml": note("Backported, cited for 1.41 only"),
            f"{NOTES}/zz-audit-backported-listed.yaml": note("Backported and listed for 1.40"),
        },
    )
    return root


def build_overlay(root: Path) -> Path:
    root.mkdir()
    (root / "1.40.yaml").write_text(
        'minor: "1.40"\nentries:\n'
        + OVERLAY_ENTRY.format(
            id="1.40-audit-cited",
            introduced='"1.40.0"',
            env='{AUDIT_MITIGATION: "true"}',
            settings="[AUDIT_CITED_DEFAULT]",
            notes=f"[{NOTES}/zz-audit-cited.yaml]",
        ),
        encoding="utf-8",
    )
    (root / "1.41.yaml").write_text(
        'minor: "1.41"\nentries:\n'
        + OVERLAY_ENTRY.format(
            id="1.41-audit-main-line-only",
            introduced='"1.41.0"',
            env="{}",
            settings="[]",
            notes=f"[{NOTES}/zz-audit-backported.yaml]",
        )
        + "\n"
        + OVERLAY_ENTRY.format(
            id="1.41-audit-backported",
            introduced='["1.40.1", "1.41.0"]',
            env="{}",
            settings="[]",
            notes=f"[{NOTES}/zz-audit-backported-listed.yaml]",
        ),
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("audit")
    work = build_repo(root / "istio")
    bare = root / "istio.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True, capture_output=True)
    return work, bare, build_overlay(root / "kb")


def run_audit(repo: Path, overlay: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        main,
        ["kb", "audit", "--istio-repo", str(repo), "--kb", str(overlay), "--since", "1.40", "--format", "json", *extra],
    )
    return result.exit_code, json.loads(result.output)


@pytest.mark.parametrize("kind", ["work tree", "bare"])
def test_every_kind_of_gap_is_found_and_nothing_cited_is_reported(repos: tuple[Path, Path, Path], kind: str) -> None:
    work, bare, overlay = repos
    code, data = run_audit(work if kind == "work tree" else bare, overlay)
    assert code == 1  # an upgrade note is uncited
    assert data["tags"] == ["1.40.0", "1.40.1", "1.41.0"]
    notes = {(n["tag"], n["path"].removeprefix(NOTES + "/")): n for n in data["notes"]}
    # The baseline tag's notes are not added in range; the plain note is listed but is no upgrade note.
    assert ("1.40.0", "zz-audit-before.yaml") not in notes
    assert notes[("1.40.0", "zz-audit-plain.yaml")]["upgrade_note"] is False
    assert notes[("1.40.0", "zz-audit-cited.yaml")]["cited_by"] == ["1.40-audit-cited"]
    uncited = sorted(
        (n["tag"], n["path"].removeprefix(NOTES + "/"))
        for n in data["notes"]
        if n["upgrade_note"] and not n["cited_by"]
    )
    assert uncited == [
        ("1.40.0", "zz-audit-no-extension"),  # upstream has .yml notes and some with no extension
        ("1.40.0", "zz-audit-two-documents.yaml"),  # upgradeNodes, in a second YAML document
        ("1.40.0", "zz-audit-uncited.yaml"),  # upgradeNote, singular
        ("1.40.1", "zz-audit-backported.yaml"),  # cited, but only by an entry that is not on the 1.40 line
    ]
    assert notes[("1.41.0", "zz-audit-backported.yaml")]["cited_by"] == ["1.41-audit-main-line-only"]
    assert notes[("1.40.1", "zz-audit-backported-listed.yaml")]["cited_by"] == ["1.41-audit-backported"]
    assert notes[("1.40.0", "zz-audit-uncited.yaml")]["title"] == "An uncited upgrade note"

    changes = [(c["previous_tag"], c["tag"], c["flag"], c["before"], c["after"]) for c in data["flag_default_changes"]]
    assert changes == [("1.39.0", "1.40.0", "AUDIT_UNCITED_DEFAULT", '"old"', '"new"')]  # the cited one is left out

    # The built-in entries' flags are not in this small repository either; only the overlay's are looked at here.
    missing = [m for m in data["missing_mitigation_flags"] if "audit" in m["entry"]]
    assert missing == [{"entry": "1.40-audit-cited", "flag": "AUDIT_MITIGATION", "tags": ["1.41.0"]}]
    profiles = [(p["profile"], p["key"], p["citation"]) for p in data["uncited_profile_settings"]]
    assert profiles == [
        (
            "1.39",
            "meshConfig.defaultConfig.proxyMetadata.AUDIT_PROXY_ONLY",
            "meshConfig.defaultConfig.proxyMetadata.AUDIT_PROXY_ONLY",
        ),
        ("1.39", "pilot.env.AUDIT_PROFILE_ONLY", "AUDIT_PROFILE_ONLY"),
    ]
    assert data["summary"]["uncited_upgrade_notes"] == 4


def test_a_range_whose_upgrade_notes_are_all_cited_passes(repos: tuple[Path, Path, Path]) -> None:
    work, _, overlay = repos
    code, data = run_audit(work, overlay, "--since", "1.41")
    assert code == 0
    assert data["passed"] is True
    assert [(n["path"], n["cited_by"]) for n in data["notes"] if n["upgrade_note"]] == [
        (f"{NOTES}/zz-audit-backported-listed.yaml", ["1.41-audit-backported"]),
        (f"{NOTES}/zz-audit-backported.yaml", ["1.41-audit-main-line-only"]),
    ]


def test_the_table_names_tag_file_title_and_who_cites_it(repos: tuple[Path, Path, Path]) -> None:
    work, _, overlay = repos
    result = CliRunner().invoke(
        main, ["kb", "audit", "--istio-repo", str(work), "--kb", str(overlay), "--since", "1.40"]
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[3].split() == ["TAG", "NOTE", "FILE", "TITLE", "CITED", "BY"]
    cited = next(line for line in lines if "zz-audit-cited.yaml" in line)
    assert cited.split()[0] == "1.40.0" and "A cited upgrade note" in cited and cited.endswith("1.40-audit-cited")
    assert next(line for line in lines if "zz-audit-uncited.yaml" in line).endswith("UNCITED")
    assert "4 uncited" in lines[-1]


@pytest.mark.parametrize("make", ["missing", "plain directory"])
def test_a_path_that_is_no_git_repository_is_bad_input(tmp_path: Path, make: str) -> None:
    target = tmp_path / "nothing"
    if make == "plain directory":
        target.mkdir()
    result = CliRunner().invoke(main, ["kb", "audit", "--istio-repo", str(target)])
    assert result.exit_code == 2
    assert "not a git repository" in result.output
    assert "Traceback" not in result.output


def test_the_flag_lifetimes_are_checked_against_the_same_reader(repos: tuple[Path, Path, Path]) -> None:
    work, _, overlay = repos
    recorded = SettingLifetimes(
        tags=("1.40.0", "1.41.0"),
        settings={"env": {"AUDIT_CITED_DEFAULT": (("1.40.0", "1.41.0"),), "AUDIT_MITIGATION": (("1.40.0", "1.41.0"),)}},
        env_defaults={"AUDIT_CITED_DEFAULT": (("1.40.0", "false"),), "AUDIT_MITIGATION": (("1.40.0", "false"),)},
    )
    report = audit(IstioRepo(work), load_knowledge_base([overlay], check_settings=False), "1.40", lifetimes=recorded)
    found = [(m.flag, m.tag, m.recorded, m.found) for m in report.lifetime_mismatches]
    assert found == [
        ("AUDIT_CITED_DEFAULT", "1.40.0", "default false", "default true"),
        ("AUDIT_CITED_DEFAULT", "1.41.0", "default false", "default true"),
        ("AUDIT_MITIGATION", "1.41.0", "exists", "absent"),
    ]


def test_until_bounds_the_range_and_a_bad_version_is_bad_input(repos: tuple[Path, Path, Path]) -> None:
    work, _, overlay = repos
    code, data = run_audit(work, overlay, "--until", "1.40.0")
    assert code == 1 and data["tags"] == ["1.40.0"]
    result = CliRunner().invoke(main, ["kb", "audit", "--istio-repo", str(work), "--since", "one.twenty"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    # A range with no tag reads nothing, which must not pass.
    result = CliRunner().invoke(main, ["kb", "audit", "--istio-repo", str(work), "--since", "1.50"])
    assert result.exit_code == 2 and "no release tags from 1.50" in result.output


def test_each_tag_is_compared_with_the_one_before_it_on_its_line() -> None:
    tags = ["1.20.0", "1.20.1", "1.21.0", "1.21.1", "1.21.2", "1.22.0-rc.0"]
    assert previous_on_line(tags) == {
        "1.20.1": "1.20.0",
        "1.21.0": "1.20.0",
        "1.21.1": "1.21.0",
        "1.21.2": "1.21.1",
        "1.22.0-rc.0": "1.21.0",
    }


def test_a_note_that_is_not_yaml_still_counts_when_it_has_an_upgrade_note_key() -> None:
    assert read_note("releaseNotes: [\nupgradeNotes:\n  - title: x\n") == ("(not valid YAML)", True)
    assert read_note("releaseNotes: [\n") == ("(not valid YAML)", False)


MIRROR = Path("/work/.mirror/istio+istio/repo")


@pytest.mark.skipif(not MIRROR.is_dir(), reason="no istio/istio clone")
def test_the_newest_release_lines_of_the_real_repository_have_every_upgrade_note_cited() -> None:
    # The whole 1.10-1.31 range takes about a minute; maintainers run it (README), the suite checks the newest lines.
    result = CliRunner().invoke(
        main, ["kb", "audit", "--istio-repo", str(MIRROR), "--since", "1.30", "--format", "json"]
    )
    data = json.loads(result.output)
    assert [n["path"] for n in data["notes"] if n["upgrade_note"] and not n["cited_by"]] == []
    assert result.exit_code == 0
    assert data["summary"]["upgrade_notes"] > 0
    assert data["lifetime_mismatches"] == []
