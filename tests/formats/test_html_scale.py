"""The HTML report of a large mesh: mesh-wide changes shown once, tables capped with what is left out."""

import re

import pytest

from preflight.engine.interface import ChangeOutcome, ChangeStatus, Finding, FindingStatus, Report
from preflight.formats import html_format, markdown_format, text_format
from preflight.kb.interface import KBEntry, Mitigation, Severity, Upstream
from preflight.snapshot.interface import ObjectRef, ServiceRef, SnapshotInfo
from preflight.versions import parse_version

SERVICES = tuple(ServiceRef(f"team-{i % 4}", f"svc-{i:03d}") for i in range(40))


def entry(change: str, severity: Severity, flag: str) -> KBEntry:
    return KBEntry(
        id=change, introduced_in=parse_version("1.22"), title=f"Title of {change}", summary="What changed.",
        impact=f"behave differently because of {change}", severity=severity, area="traffic",
        remediation=f"Fix for {change}.", mitigation=Mitigation(text="Set the flag.", env={flag: "false"}),
        upstream=Upstream(), provenance="release-notes", source_file="1.22.yaml",
    )  # fmt: skip


ENTRIES = (entry("everywhere", Severity.MEDIUM, "EVERYWHERE_FLAG"), entry("some", Severity.HIGH, "SOME_FLAG"),
           entry("few", Severity.LOW, "FEW_FLAG"))  # fmt: skip


def finding(change: str, service: ServiceRef, severity: Severity) -> Finding:
    return Finding(
        change=change, introduced_in="1.22", severity=severity, status=FindingStatus.AFFECTED,
        resource=ObjectRef("Deployment", service.namespace, service.name), services=(service,),
        message=f"{change} found on Deployment {service}",
    )  # fmt: skip


def large_report() -> Report:
    findings = [finding("everywhere", s, Severity.MEDIUM) for s in SERVICES]
    findings += [finding("some", s, Severity.HIGH) for s in SERVICES[:12]]
    findings += [finding("few", s, Severity.LOW) for s in SERVICES[:3]]
    return Report(
        source_version="1.21.0", target_version="1.22.0", path=("1.22",), findings=tuple(findings),
        changes=tuple(ChangeOutcome(e, ChangeStatus.HIT, 1) for e in ENTRIES), snapshot=SnapshotInfo(),
        meshed_services=SERVICES,
    )  # fmt: skip


def rows_of(html: str, change: str) -> int:
    return len(re.findall(rf'class="finding-row[^"]*"[^>]*data-change="{change}"', html))


def test_a_mesh_wide_change_is_shown_once_and_not_per_service() -> None:
    html = html_format.render(large_report())
    assert 'id="mesh-wide-heading"' in html
    (block,) = re.findall(r'<tr class="mesh-wide-row" data-change="everywhere">.*?</tr>', html, re.S)
    assert "<strong>40</strong> of 40 meshed services" in block and "found on 40 workload(s)" in block
    assert "Fix for everywhere." in block and "EVERYWHERE_FLAG=false" in block
    assert rows_of(html, "everywhere") == 0
    assert (rows_of(html, "some"), rows_of(html, "few")) == (12, 3)
    assert "<strong>40</strong> service(s) affected" in html  # the verdict still counts every service


def test_long_tables_keep_the_worst_rows_and_say_how_many_more(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_format, "MAX_ROWS", 10)
    html = html_format.render(large_report())
    assert (rows_of(html, "some"), rows_of(html, "few")) == (10, 0)  # high before low
    assert "5 more on 2 more service(s) — see the JSON report" in html
    # Filters offer only values the page shows, and every team keeps its group (and its filter).
    assert 'id="f-change-few"' not in html and 'id="f-change-some"' in html
    assert all(f'data-team="team-{i}"' in html for i in range(4))


def test_markdown_and_text_show_a_mesh_wide_change_once() -> None:
    report = large_report()
    markdown = markdown_format.render(report)
    assert markdown.count("`everywhere`") == 2  # the mesh-wide table and the list of changes
    assert "40 of 40 meshed services" in markdown
    text = text_format.render(report)
    assert text.count("] everywhere:") == 1 and "40 of 40 meshed services" in text
    assert text.count("] some:") == 12 and text.count("] few:") == 3


def test_text_lists_at_most_a_page_of_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_format, "MAX_SERVICES", 5)
    text = text_format.render(large_report())
    assert text.count("] some:") == 5 and "and 7 more service(s): see the JSON report" in text
