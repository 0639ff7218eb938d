"""Plain text for the terminal: verdict first, mesh-wide changes once, then each affected service, then the changes."""

from __future__ import annotations

from collections.abc import Iterable

from preflight.engine.interface import ChangeStatus, Finding, FindingStatus, Report
from preflight.formats.json_format import verdict
from preflight.simulate.calls import Call, CallView, call_view

# A terminal page, also at 20,000 services: longer lists end with how many more the JSON report has.
MAX_SERVICES = 500
_VERDICT_TEXT = {
    "blocked": "BLOCKED",
    "safe-with-mitigations": "SAFE WITH MITIGATIONS",
    "safe": "SAFE",
}


def render(report: Report) -> str:
    lines = [
        f"Istio upgrade {report.source_version} -> {report.target_version} "
        f"(releases crossed: {report.releases_crossed})",
        f"Verdict: {_VERDICT_TEXT[verdict(report)]} (gate: --fail-on {report.fail_on.value})",
        f"Affected: {headline(report)}",
    ]
    if report.version_note:
        lines.append(f"Current version {report.version_note}")
    for note in report.notes:
        lines.append(f"Note: {note}")
    if report.waivers is not None:
        for waiver, count in report.waivers.coverage():
            lines.append(f"Waiver: {waiver.change} on {waiver.resource} ({waiver.ticket}) covers {count} finding(s)")
    lines.append("")
    entries = report.entries
    mesh_wide = report.mesh_wide
    if mesh_wide:
        lines.append("Changes that touch every meshed service (one decision for the mesh, not repeated below):")
        for wide in mesh_wide:
            entry = entries.get(wide.change)
            lines.append(
                f"  - [{wide.severity.value}] {wide.change}: {entry.title if entry else wide.example.message} "
                f"({wide.services} of {wide.meshed_services} meshed services, found on {wide.found_on})"
            )
            if entry:
                lines.append(f"      fix: {entry.remediation}")
                if entry.mitigation.text:
                    lines.append(f"      keep old behaviour: {entry.mitigation.text}")
        lines.append("")
    excluded = {m.change for m in mesh_wide}
    specific = [
        (impact, changes)
        for impact in report.services
        if (changes := [(c, found) for c, found in _by_change(impact.findings) if c not in excluded])
    ]
    # _by_change puts the worst change first: its severity is the service's, leaving mesh-wide ones aside.
    specific.sort(key=lambda item: (-item[1][0][1][0].severity.rank, item[0].service))
    if specific:
        lines.append("Services that will behave differently:" if not mesh_wide else
                     "Services that will behave differently, besides the changes above:")
        for impact, changes in specific[:MAX_SERVICES]:
            lines.append(f"  {impact.service} [{changes[0][1][0].severity.value}]")
            for change, findings in changes:
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
        if len(specific) > MAX_SERVICES:
            lines.append(f"  ... and {len(specific) - MAX_SERVICES} more service(s): see the JSON report")
        lines.append("")
    unscoped = [f for f in report.findings if not f.services and f.status is FindingStatus.AFFECTED]
    if unscoped:
        lines.append("Affected resources not tied to a service:")
        for finding in unscoped[:MAX_SERVICES]:
            lines.append(f"  - [{finding.severity.value}] {finding.change}: {finding.message}")
        if len(unscoped) > MAX_SERVICES:
            lines.append(f"  ... and {len(unscoped) - MAX_SERVICES} more: see the JSON report")
        lines.append("")
    lines += _field_reports(report)
    mitigated = [f for f in report.findings if f.status is FindingStatus.MITIGATED]
    if mitigated:
        lines.append("Already mitigated:")
        for finding in mitigated[:MAX_SERVICES]:
            lines.append(f"  - {finding.change} on {finding.resource}: {finding.mitigation_reason}")
        if len(mitigated) > MAX_SERVICES:
            lines.append(f"  ... and {len(mitigated) - MAX_SERVICES} more: see the JSON report")
        lines.append("")
    if report.simulation is not None and report.simulation.outcomes:
        lines.extend(_calls(call_view(report.simulation)))
    lines.append("Changes on this path:")
    for outcome in report.changes:
        entry = outcome.entry
        suffix = ""
        if outcome.status is ChangeStatus.HIT:
            suffix = f" ({outcome.affected} affected)"
        elif outcome.status is ChangeStatus.FIELD_REPORT:
            suffix = f" ({outcome.field_reports} to watch, {outcome.calls_at_stake} call(s) at stake)"
        lines.append(f"  {outcome.status.value:<11} {entry.severity.value:<8} {entry.id}: {entry.title}{suffix}")
    return "\n".join(lines).rstrip() + "\n"


MAX_NAMED_SERVICES = 10  # a root-namespace policy names every meshed service; the JSON report has them all


def named_services(finding: Finding) -> str:
    """The first services of a finding, then how many more (a policy of the root namespace names them all)."""
    named = ", ".join(str(s) for s in finding.services[:MAX_NAMED_SERVICES])
    more = len(finding.services) - MAX_NAMED_SERVICES
    return named + (f" and {more} more" if more > 0 else "")


def _field_reports(report: Report) -> list[str]:
    """Unconfirmed field reports: what they concern and the calls at stake, apart from what will change."""
    findings = report.field_reports
    if not findings:
        return []
    counted = report.fail_on_field_reports or any(report.field_report_fails_gate(f.change) for f in findings)
    gate = "counted by the gate" if counted else "not counted by the gate; --fail-on-field-reports counts them"
    lines = [
        "Field reports to watch (unconfirmed upstream: every call is decided with Istio's documented semantics; "
        f"{gate}):"
    ]
    for finding in findings[:MAX_SERVICES]:
        services = named_services(finding) or str(finding.resource)
        lines.append(f"  - [{finding.severity.value}] {finding.change} on {services}")
        lines.append(f"      because {finding.message}")
        for call in (finding.details.get("watch_calls") or "").split("\n"):
            if call:
                lines.append(f"      watch: {call}")
    if len(findings) > MAX_SERVICES:
        lines.append(f"  ... and {len(findings) - MAX_SERVICES} more: see the JSON report")
    lines.append("")
    return lines


def _calls(view: CallView) -> list[str]:
    """The calls that change with the upgrade, then how many do not; then today's denied calls."""
    lines = []
    changed = view.changed
    unchanged = f"{view.unchanged} call(s) decided the same before and after"
    if changed:
        lines.append(f"Calls that change with the upgrade ({len(changed)}; {unchanged}):")
        for call in changed[:MAX_SERVICES]:
            lines.append(f"  - {_call_line(call, view.observed)}: {call.now}{_by(call.now_by)} -> "
                         f"{call.after}{_by(call.after_by)} [{call.kind}]")
        if len(changed) > MAX_SERVICES:
            lines.append(f"  ... and {len(changed) - MAX_SERVICES} more: see the JSON report")
    else:
        lines.append(f"Calls: none changes with the upgrade ({unchanged}).")
    lines.append("")
    if view.denied_today:
        lines.append("Calls denied today (seen in the traffic data: intended, or a live incident):")
        for call in view.denied_today[:MAX_SERVICES]:
            lines.append(f"  - {_call_line(call, view.observed)}: denied{_by(call.now_by)}")
        if len(view.denied_today) > MAX_SERVICES:
            lines.append(f"  ... and {len(view.denied_today) - MAX_SERVICES} more: see the JSON report")
        lines.append("")
    return lines


def _call_line(call: Call, observed: bool) -> str:
    volume = f"{call.requests} requests" if observed else "declared"
    what = f" {call.request}" if call.request else ""
    return f"{call.caller} -> {call.service}:{call.port_protocol}{what} ({volume})"


def _by(deciding: str) -> str:
    return f" ({deciding})" if deciding else ""


def headline(report: Report) -> str:
    """The counts line the text and Markdown reports open with, each count under its label."""
    tally = report.tally
    parts = [
        tally.findings_line(),
        f"{tally.service_findings_line()} on {tally.services_affected} service(s)",
        f"{tally.unscoped} not tied to a service",
        f"{tally.by_status['mitigated']} mitigated",
    ]
    if report.waivers is not None:
        parts.append(f"{tally.waived} waived")
    return "; ".join(parts)


def _by_change(findings: Iterable[Finding]) -> list[tuple[str, list[Finding]]]:
    """Affected findings of one service grouped by change, worst first, in first-seen order."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.status is FindingStatus.AFFECTED:
            grouped.setdefault(finding.change, []).append(finding)
    return sorted(grouped.items(), key=lambda item: -item[1][0].severity.rank)
