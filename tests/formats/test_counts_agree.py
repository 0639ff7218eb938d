"""The demo report's counts are the same in all six formats, each under its label, and every format
shows every finding that fails the gate (issue 11).

The reports are written by ``preflight check`` as a user runs it; the truth each format is held to
is counted from the JSON report's own ``findings`` list, not from the summary under test.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ElementTree
from collections import Counter
from typing import Any

import pytest
from click.testing import CliRunner

from preflight.cli import main
from preflight.resources import demo_cluster_dir, demo_traffic_file

SEVERITIES = ("critical", "high", "medium", "low", "info")
EXTENSIONS = {"text": "txt", "json": "json", "markdown": "md", "html": "html", "sarif": "sarif", "junit": "xml"}


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("reports")
    outputs = [f"--output={out / f'demo.{ext}'}" for ext in EXTENSIONS.values()]
    result = CliRunner().invoke(
        main,
        ["check", str(demo_cluster_dir()), "--to", "1.22", "--traffic", str(demo_traffic_file()), "--no-timestamp",
         *outputs],
        standalone_mode=False,
        catch_exceptions=False,
    )
    assert result.exception is None or getattr(result.exception, "code", None) == 1, result.output
    return {name: (out / f"demo.{ext}").read_text(encoding="utf-8") for name, ext in EXTENSIONS.items()}


@pytest.fixture(scope="module")
def truth(demo_reports: dict[str, str]) -> dict[str, Any]:
    findings = json.loads(demo_reports["json"])["findings"]
    affected = [f for f in findings if f["status"] == "affected"]
    by_severity = Counter(f["severity"] for f in affected)
    by_service: Counter[str] = Counter()
    for finding in affected:
        by_service[finding["severity"]] += len(finding["services"])
    return {
        "findings": {s: by_severity[s] for s in SEVERITIES},
        "service-findings": {s: by_service[s] for s in SEVERITIES},
        "services": len({s for f in affected for s in f["services"]}),
        "unscoped": sum(1 for f in affected if not f["services"]),
        "mitigated": sum(1 for f in findings if f["status"] == "mitigated"),
        "gate": [f for f in affected if f["severity"] in ("high", "critical")],
    }


def test_the_two_counts_differ_on_the_demo(truth: dict[str, Any]) -> None:
    # Otherwise the tests below could not tell a format that mixes them up.
    assert truth["findings"] != truth["service-findings"]
    assert sum(truth["findings"].values()) > 0


def _headline_counts(line: str) -> dict[str, Any]:
    """Parse "Affected: 68 findings (high 18, ...); 76 service-findings (...) on 20 service(s); ..."."""
    parsed: dict[str, Any] = {}
    for label in ("findings", "service-findings"):
        match = re.search(rf"(?:^|; |: )(\d+) {label}(?: \(([^)]*)\))?", line)
        assert match, (label, line)
        counts = dict.fromkeys(SEVERITIES, 0)
        for part in (match.group(2) or "").split(", "):
            if part:
                severity, count = part.split(" ")
                counts[severity] = int(count)
        assert sum(counts.values()) == int(match.group(1))
        parsed[label] = counts
    services = re.search(r"on (\d+) service\(s\)", line)
    unscoped = re.search(r"(\d+) not tied to a service", line)
    mitigated = re.search(r"(\d+) mitigated", line)
    assert services and unscoped and mitigated, line
    parsed.update(services=int(services.group(1)), unscoped=int(unscoped.group(1)),
                  mitigated=int(mitigated.group(1)))
    return parsed


def _assert_matches(counts: dict[str, Any], truth: dict[str, Any]) -> None:
    for key in ("findings", "service-findings", "services", "unscoped", "mitigated"):
        assert counts[key] == truth[key], key


@pytest.mark.parametrize("format_name", ["text", "markdown"])
def test_text_and_markdown_headline_counts(format_name: str, demo_reports: dict[str, str],
                                           truth: dict[str, Any]) -> None:
    line = next(line for line in demo_reports[format_name].splitlines() if line.startswith("Affected: "))
    _assert_matches(_headline_counts(line), truth)


def test_html_headline_counts(demo_reports: dict[str, str], truth: dict[str, Any]) -> None:
    page = demo_reports["html"]
    counts: dict[str, Any] = {
        "findings": {s: int(re.search(rf'class="count-{s}"><strong>(\d+)</strong>', page).group(1))  # type: ignore[union-attr]
                     for s in SEVERITIES},
    }
    number = {label: int(re.search(rf"<strong>(\d+)</strong> {label}</li>", page).group(1))  # type: ignore[union-attr]
              for label in ("findings:", "service-findings", r"service\(s\) affected", "not tied to a service",
                            "mitigated")}
    assert number["findings:"] == sum(truth["findings"].values())
    assert number["service-findings"] == sum(truth["service-findings"].values())
    counts.update({"service-findings": truth["service-findings"], "services": number[r"service\(s\) affected"],
                   "unscoped": number["not tied to a service"], "mitigated": number["mitigated"]})
    _assert_matches(counts, truth)


def test_json_summary_counts(demo_reports: dict[str, str], truth: dict[str, Any]) -> None:
    summary = json.loads(demo_reports["json"])["summary"]
    _assert_matches(
        {
            "findings": {s: summary["affected_by_severity"][s] for s in SEVERITIES},
            "service-findings": {s: summary["service_findings_by_severity"][s] for s in SEVERITIES},
            "services": summary["services_affected"],
            "unscoped": summary["unscoped"],
            "mitigated": summary["by_status"]["mitigated"],
        },
        truth,
    )


def test_sarif_results_and_counts(demo_reports: dict[str, str], truth: dict[str, Any]) -> None:
    run = json.loads(demo_reports["sarif"])["runs"][0]
    failing = Counter(r["properties"]["severity"] for r in run["results"] if r["kind"] == "fail")
    assert {s: failing[s] for s in SEVERITIES} == truth["findings"]
    properties = run["properties"]
    _assert_matches(
        {
            "findings": {s: properties["findings"][s] for s in SEVERITIES},
            "service-findings": {s: properties["service-findings"][s] for s in SEVERITIES},
            "services": properties["services-affected"],
            "unscoped": properties["unscoped"],
            "mitigated": properties["mitigated"],
        },
        truth,
    )


def test_junit_counts(demo_reports: dict[str, str], truth: dict[str, Any]) -> None:
    root = ElementTree.fromstring(demo_reports["junit"])
    values = {p.get("name"): int(p.get("value", "-1")) for p in root.findall("./properties/property")}
    _assert_matches(
        {
            "findings": {s: values[f"findings.{s}"] for s in SEVERITIES},
            "service-findings": {s: values[f"service-findings.{s}"] for s in SEVERITIES},
            "services": values["services-affected"],
            "unscoped": values["unscoped"],
            "mitigated": values["mitigated"],
        },
        truth,
    )


@pytest.mark.parametrize("format_name", list(EXTENSIONS))
def test_every_format_shows_every_finding_that_fails_the_gate(format_name: str, demo_reports: dict[str, str],
                                                              truth: dict[str, Any]) -> None:
    text = html.unescape(demo_reports[format_name])
    assert truth["gate"], "the demo has findings that fail the gate"
    unscoped = [f for f in truth["gate"] if not f["services"]]
    assert unscoped, "the demo has a gate-failing finding on no service (the support window)"
    for finding in truth["gate"]:
        assert finding["change"] in text, finding["id"]
    for finding in unscoped:
        assert finding["message"] in text, finding["id"]
