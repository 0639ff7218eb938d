"""Plain text for the terminal: verdict first, then each affected service, then the changes."""

from __future__ import annotations

from collections.abc import Iterable

from preflight.engine.interface import ChangeStatus, Finding, FindingStatus, Report
from preflight.formats.json_format import verdict

_VERDICT_TEXT = {
    "blocked": "BLOCKED",
    "safe-with-mitigations": "SAFE WITH MITIGATIONS",
    "safe": "SAFE",
}


def render(report: Report) -> str:
    counts = report.counts()
    lines = [
        f"Istio upgrade {report.source_version} -> {report.target_version} "
        f"(minors: {', '.join(report.path) or 'none'})",
        f"Verdict: {_VERDICT_TEXT[verdict(report)]} (gate: --fail-on {report.fail_on.value})",
        "Affected findings by severity: "
        + ", ".join(f"{name} {count}" for name, count in counts["severity"].items() if count)
        if any(counts["severity"].values())
        else "Affected findings: none",
    ]
    if report.version_note:
        lines.append(f"Current version {report.version_note}")
    for note in report.notes:
        lines.append(f"Note: {note}")
    lines.append("")
    entries = report.entries
    affected = sorted((s for s in report.services if s.affected), key=lambda s: (-s.worst.rank, s.service))
    if affected:
        lines.append("Services that will behave differently:")
        for impact in affected:
            lines.append(f"  {impact.service} [{impact.worst.value}]")
            for change, findings in _by_change(impact.findings):
                entry = entries.get(change)
                what = entry.impact if entry else findings[0].message
                lines.append(
                    f"    - [{findings[0].severity.value}] {change}: your service {impact.service} will {what}"
                )
                lines.append(f"      because {findings[0].message}")
                if len(findings) > 1:
                    lines.append(f"      (and {len(findings) - 1} more resource(s) of this service)")
                if entry and entry.mitigation.text:
                    lines.append(f"      keep old behaviour: {entry.mitigation.text}")
        lines.append("")
    unscoped = [f for f in report.findings if not f.services and f.status is FindingStatus.AFFECTED]
    if unscoped:
        lines.append("Affected resources not tied to a service:")
        for finding in unscoped:
            lines.append(f"  - [{finding.severity.value}] {finding.change}: {finding.message}")
        lines.append("")
    mitigated = [f for f in report.findings if f.status is FindingStatus.MITIGATED]
    if mitigated:
        lines.append("Already mitigated:")
        for finding in mitigated:
            lines.append(f"  - {finding.change} on {finding.resource}: {finding.mitigation_reason}")
        lines.append("")
    lines.append("Changes on this path:")
    for outcome in report.changes:
        entry = outcome.entry
        suffix = ""
        if outcome.status is ChangeStatus.HIT:
            suffix = f" ({outcome.affected} affected)"
        lines.append(f"  {outcome.status.value:<11} {entry.severity.value:<8} {entry.id}: {entry.title}{suffix}")
    return "\n".join(lines).rstrip() + "\n"


def _by_change(findings: Iterable[Finding]) -> list[tuple[str, list[Finding]]]:
    """Affected findings of one service grouped by change, worst first, in first-seen order."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.status is FindingStatus.AFFECTED:
            grouped.setdefault(finding.change, []).append(finding)
    return sorted(grouped.items(), key=lambda item: -item[1][0].severity.rank)
