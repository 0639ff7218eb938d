"""SARIF 2.1.0: one rule per KB entry, one result per finding, located in the snapshot file.

Affected findings fail; mitigated ones pass; an unconfirmed field report is for review (level
``note``) unless the run counts field reports towards the gate. Every rule and result keeps the
entry's provenance and caveats, so a field report stays labelled wherever SARIF is shown.
"""

from __future__ import annotations

from typing import Any

import orjson

from preflight.engine.interface import FINDINGS_LABEL, SERVICE_FINDINGS_LABEL, Finding, FindingStatus, Report
from preflight.formats.safety import JsonGuard
from preflight.kb.interface import Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                      Severity.LOW: "3.0", Severity.INFO: "0.0"}


def render(report: Report) -> str:
    """The log, redacted by value (``safety.JsonGuard``). orjson writes what
    ``json.dumps(indent=2, ensure_ascii=False)`` writes, an order of magnitude faster."""
    guard = JsonGuard()
    encoded = orjson.dumps(guard.value(to_document(report)), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    return guard.encoded(encoded).decode("utf-8")


def _level_and_kind(report: Report, finding: Finding) -> tuple[str, str]:
    if finding.status is FindingStatus.AFFECTED:
        return _LEVEL[finding.severity], "fail"
    if finding.status is FindingStatus.FIELD_REPORT:
        if report.fail_on_field_reports or report.field_report_fails_gate(finding.change):
            return _LEVEL[finding.severity], "fail"
        return "note", "review"
    return "none", "pass"


def to_document(report: Report) -> dict[str, Any]:
    rule_ids = sorted({f.change for f in report.findings})
    rule_index = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    entries = report.entries
    rules = []
    for rule_id in rule_ids:
        entry = entries.get(rule_id)
        rule: dict[str, Any] = {"id": rule_id}
        if entry is not None:
            rule.update(
                {
                    "name": "".join(part.capitalize() for part in entry.id.split("-")[1:]),
                    "shortDescription": {"text": entry.title},
                    "fullDescription": {"text": entry.summary},
                    "help": {
                        "text": f"{entry.remediation}\n\nKeep the old behaviour: {entry.mitigation.text}",
                        "markdown": f"{entry.remediation}\n\n**Keep the old behaviour:** {entry.mitigation.text}",
                    },
                    "helpUri": entry.upstream.docs[0] if entry.upstream.docs else None,
                    "defaultConfiguration": {"level": _LEVEL[entry.severity]},
                    "properties": {
                        "tags": [entry.area, f"istio-{entry.minor}"]
                        + (["field-report"] if entry.is_field_report else []),
                        "security-severity": _SECURITY_SEVERITY[entry.severity],
                        "provenance": entry.provenance,
                        "caveats": list(entry.caveats),
                    },
                }
            )
            if rule["helpUri"] is None:
                del rule["helpUri"]
        rules.append(rule)
    results = []
    for finding in report.findings:
        entry = entries.get(finding.change)
        level, kind = _level_and_kind(report, finding)
        properties: dict[str, Any] = {
            "services": [str(s) for s in finding.services],
            "status": finding.status.value,
            "severity": finding.severity.value,  # SARIF's levels merge critical with high, low with info
            "provenance": entry.provenance if entry else None,
            "caveats": list(entry.caveats) if entry else [],
        }
        if finding.status is FindingStatus.FIELD_REPORT:
            properties["calls_at_stake"] = finding.details.get("calls_at_stake")
            calls = finding.details.get("watch_calls")
            properties["watch_calls"] = calls.split("\n") if calls else []
        result: dict[str, Any] = {
            "ruleId": finding.change,
            "ruleIndex": rule_index[finding.change],
            "level": level,
            "kind": kind,
            "message": {"text": finding.message},
            "partialFingerprints": {"preflightFindingId": finding.id},
            "properties": properties,
        }
        if finding.source is not None and finding.source.file != "<stdin>":
            region = {"startLine": finding.source.line} if finding.source.line else None
            location: dict[str, Any] = {"artifactLocation": {"uri": finding.source.file}}
            if region:
                location["region"] = region
            result["locations"] = [
                {
                    "physicalLocation": location,
                    "logicalLocations": [{"fullyQualifiedName": str(finding.resource), "kind": "resource"}],
                }
            ]
        waiver = report.waivers.waiver_for(finding) if report.waivers is not None else None
        if waiver is not None:
            result["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": f"{waiver.ticket}: {waiver.reason}"}
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "istio-preflight",
                        "version": report.tool_version,
                        "informationUri": "https://istio.io/latest/news/releases/",
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": _counts(report),
            }
        ],
    }


def _counts(report: Report) -> dict[str, Any]:
    """The report's counts under the labels every format uses (``preflight.engine.interface.ReportCounts``)."""
    tally = report.tally
    return {
        FINDINGS_LABEL: dict(tally.findings),
        SERVICE_FINDINGS_LABEL: dict(tally.service_findings),
        "services-affected": tally.services_affected,
        "unscoped": tally.unscoped,
        "mitigated": tally.by_status["mitigated"],
        "waived": tally.waived,
    }
