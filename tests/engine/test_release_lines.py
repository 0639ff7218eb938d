"""Changes Istio backported to patch releases, applied on patch-to-patch, mixed and already-patched paths.

The snapshot has two sidecar-bound VirtualServices competing for a wildcard ServiceEntry host,
which the 45415 overlapping-wildcards change (1.18.7, 1.19.6, 1.20.2, 1.21.0) decides differently.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.formats.html_format import render as render_html
from preflight.formats.json_format import render as render_json
from preflight.formats.markdown_format import render as render_markdown
from preflight.formats.text_format import render as render_text
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.snapshot.loader import load_snapshot
from preflight.versions import parse_version

WILDCARDS = "1.21-wildcard-virtual-service-precedence"

SNAPSHOT = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: wiki, namespace: egress}
spec:
  hosts: ["*.wiki.example"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: english-only, namespace: egress, creationTimestamp: "2023-01-01T00:00:00Z"}
spec:
  hosts: ["en.wiki.example"]
  http: [{route: [{destination: {host: en.wiki.example}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: all-wikis, namespace: egress, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: ["*.wiki.example"]
  http: [{route: [{destination: {host: "*.wiki.example"}}]}]
"""


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wildcards")
    (folder / "mesh.yaml").write_text(SNAPSHOT, encoding="utf-8")
    return folder


def check(snapshot_dir: Path, source: str, target: str) -> Report:
    options = CheckOptions(
        source=parse_version(source), target=parse_version(target), timestamp=False, report_date=date(2024, 3, 1)
    )
    return run_check(load_snapshot([str(snapshot_dir)]), load_knowledge_base(), options)


def changes(report: Report) -> set[str]:
    return {outcome.entry.id for outcome in report.changes}


def test_patch_to_patch_upgrade_across_the_backport_reports_it(snapshot_dir: Path) -> None:
    report = check(snapshot_dir, "1.20.1", "1.20.5")
    assert WILDCARDS in changes(report)
    found = [f for f in report.findings if f.change == WILDCARDS]
    assert found and {f.introduced_in for f in found} == {"1.20.2"}
    assert report.releases_crossed == "1.20.2 to 1.20.5"


def test_backport_already_present_is_not_reported_again_at_the_main_line(snapshot_dir: Path) -> None:
    report = check(snapshot_dir, "1.20.5", "1.21.0")
    assert WILDCARDS not in changes(report)
    assert not [f for f in report.findings if f.change == WILDCARDS]
    # Present on both sides, so the simulator routes by the new precedence before and after.
    assert report.simulation is not None and WILDCARDS in report.simulation.source_semantics


def test_patch_upgrade_before_the_backport_reports_nothing(snapshot_dir: Path) -> None:
    assert WILDCARDS not in changes(check(snapshot_dir, "1.20.0", "1.20.1"))
    assert WILDCARDS not in changes(check(snapshot_dir, "1.19.5", "1.20.1"))


def test_mixed_minor_and_patch_path_names_the_main_line(snapshot_dir: Path) -> None:
    report = check(snapshot_dir, "1.20.1", "1.22.3")
    assert WILDCARDS in changes(report)
    assert {f.introduced_in for f in report.findings if f.change == WILDCARDS} == {"1.21.0"}
    assert report.releases_crossed == "1.20.2 and later patches, 1.21 (every patch), 1.22.0 to 1.22.3"
    assert report.path == ("1.21", "1.22")


def test_reports_say_which_patch_releases_were_crossed(snapshot_dir: Path) -> None:
    report = check(snapshot_dir, "1.22.1", "1.22.6")
    assert report.releases_crossed == "1.22.2 to 1.22.6"
    assert "releases crossed: 1.22.2 to 1.22.6" in render_text(report)
    assert "Releases crossed: 1.22.2 to 1.22.6" in render_markdown(report)
    document = json.loads(render_json(report))
    assert document["releases_crossed"] == [
        {"minor": "1.22", "first": "1.22.2", "last": "1.22.6", "label": "1.22.2 to 1.22.6"}
    ]
    html = render_html(report)
    assert "Releases crossed: 1.22.2 to 1.22.6." in html
    assert '<th scope="row">1.22.2 to 1.22.6</th>' in html


def test_coverage_table_counts_a_backport_on_the_line_that_brings_it(snapshot_dir: Path) -> None:
    html = render_html(check(snapshot_dir, "1.20.1", "1.20.5"))
    row = html.split('<th scope="row">1.20.2 to 1.20.5</th>', 1)[1].split("</tr>", 1)[0]
    entries, detected, _advisory, hit = (cell.split(">")[1].split("<")[0] for cell in row.split("</td>")[:4])
    assert int(entries) >= 1 and int(detected) >= 1 and int(hit) == 1


def test_json_change_lists_every_release_line(snapshot_dir: Path) -> None:
    document = json.loads(render_json(check(snapshot_dir, "1.20.1", "1.20.5")))
    (change,) = [c for c in document["changes"] if c["id"] == WILDCARDS]
    assert change["introduced_in"] == "1.20.2"
    assert change["release_lines"] == ["1.18.7", "1.19.6", "1.20.2", "1.21.0"]
