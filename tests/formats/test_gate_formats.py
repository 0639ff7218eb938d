
"""SARIF structure, and waived findings in SARIF, JUnit and Markdown."""

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from datetime import date

from preflight.engine.interface import Finding, Report
from preflight.formats.interface import renderer
from preflight.waivers.loader import parse_waivers, review
from tests.formats.test_golden import fixture_report

LEVELS = {"none", "note", "warning", "error"}


def waived_report() -> tuple[Report, Finding]:
    report = fixture_report()
    first = report.gate_findings(report.fail_on)[0]
    ref = first.resource
    waivers = parse_waivers(
        f"- change: {first.change}\n  resource: {ref.namespace}/legacy*\n  reason: accepted\n"
        "  ticket: OPS-7\n  expires: 2999-01-01\n", "w.yaml")
    return replace(report, waivers=review(waivers, report.findings, date(2026, 1, 1), "w.yaml")), first


def test_sarif_follows_the_2_1_0_structure() -> None:
    document = json.loads(renderer("sarif")(fixture_report()))
    assert document["version"] == "2.1.0" and len(document["runs"]) == 1
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] and rules
    for rule in rules:
        assert rule["id"] and rule["shortDescription"]["text"] and rule["help"]["text"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in LEVELS and result["message"]["text"]
        for location in result.get("locations", []):
            physical = location["physicalLocation"]
            assert physical["artifactLocation"]["uri"]
            assert physical.get("region", {"startLine": 1})["startLine"] >= 1


def test_waived_findings_are_suppressed_skipped_and_marked() -> None:
    report, _ = waived_report()
    sarif = json.loads(renderer("sarif")(report))
    suppressed = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert suppressed and suppressed[0]["suppressions"][0]["status"] == "accepted"
    assert "OPS-7" in suppressed[0]["suppressions"][0]["justification"]
    assert "(waived: OPS-7)" in renderer("markdown")(report)
    junit = ElementTree.fromstring(renderer("junit")(report).split("\n", 1)[1])
    skipped = [s.get("message", "") for s in junit.iter("skipped")]
    assert any("OPS-7" in message for message in skipped)
    assert "waived: OPS-7" in renderer("html")(report)
