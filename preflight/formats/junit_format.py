"""JUnit XML: one testsuite per change or platform check, one testcase per change and service (failed when affected).

Each suite carries its entry's provenance and caveats as properties. A field report's cases pass
with what is at stake in ``system-out`` (it informs), and fail only when the run counts field
reports towards the gate.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import defaultdict

from preflight.engine.interface import FINDINGS_LABEL, SERVICE_FINDINGS_LABEL, Finding, FindingStatus, Report


def render(report: Report) -> str:
    suites = ElementTree.Element("testsuites", name="istio-preflight")
    # Test cases are (change, service) pairs, neither count of the other formats: the report's
    # own counts go along as properties, under the labels every format uses.
    properties = ElementTree.SubElement(suites, "properties")
    tally = report.tally
    for label, counts in ((FINDINGS_LABEL, tally.findings), (SERVICE_FINDINGS_LABEL, tally.service_findings)):
        for severity, count in counts.items():
            ElementTree.SubElement(properties, "property", name=f"{label}.{severity}", value=str(count))
    for name, value in (("services-affected", tally.services_affected), ("unscoped", tally.unscoped),
                        ("mitigated", tally.by_status["mitigated"]), ("waived", tally.waived)):
        ElementTree.SubElement(properties, "property", name=name, value=str(value))
    by_change: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_change[finding.change].append(finding)
    total = failures = 0
    # Platform checks (support window, Kubernetes version, skew) fail the gate like any change.
    suites_of = [(outcome.entry, outcome.status.value) for outcome in report.changes]
    suites_of += [(entry, "hit") for change, entry in sorted(report.platform_entries.items()) if change in by_change]
    for entry, status in suites_of:
        cases: dict[str, list[Finding]] = defaultdict(list)
        for finding in by_change.get(entry.id, []):
            for target in [str(s) for s in finding.services] or [str(finding.resource)]:
                cases[target].append(finding)
        suite = ElementTree.SubElement(suites, "testsuite", name=entry.id)
        properties = ElementTree.SubElement(suite, "properties")
        ElementTree.SubElement(properties, "property", name="provenance", value=entry.provenance)
        for caveat in entry.caveats:
            ElementTree.SubElement(properties, "property", name="caveat", value=caveat)
        field_report_fails = report.fail_on_field_reports or report.field_report_fails_gate(entry.id)
        suite_failures = 0
        if not cases:
            case = ElementTree.SubElement(suite, "testcase", classname=entry.id, name=entry.title)
            if status == "advisory":
                ElementTree.SubElement(case, "skipped", message=f"advisory: {entry.advisory}")
        for target, findings in sorted(cases.items()):
            case = ElementTree.SubElement(suite, "testcase", classname=entry.id, name=target)
            affected = [
                f for f in findings
                if f.status is FindingStatus.AFFECTED or (f.status is FindingStatus.FIELD_REPORT and field_report_fails)
            ]
            reported = [f for f in findings if f.status is FindingStatus.FIELD_REPORT]
            waivers = [report.waivers.waiver_for(f) for f in affected] if report.waivers is not None else []
            if affected and waivers and all(waivers):
                ElementTree.SubElement(case, "skipped", message="waived: " + "; ".join(
                    sorted({f"{w.ticket} until {w.expires.isoformat()}: {w.reason}" for w in waivers if w})))
            elif affected:
                suite_failures += 1
                failure = ElementTree.SubElement(
                    case, "failure", message=f"{entry.severity.value}: {entry.title}", type=entry.severity.value
                )
                failure.text = "\n".join(f.message for f in affected) + f"\nFix: {entry.remediation}"
            elif reported:
                out = ElementTree.SubElement(case, "system-out")
                out.text = "\n".join(
                    f"field report (unconfirmed; informs, not counted by the gate): {f.message}" for f in reported
                )
            else:
                out = ElementTree.SubElement(case, "system-out")
                out.text = "\n".join(f"mitigated: {f.mitigation_reason}" for f in findings)
        suite.set("tests", str(max(1, len(cases))))
        suite.set("failures", str(suite_failures))
        total += max(1, len(cases))
        failures += suite_failures
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"
