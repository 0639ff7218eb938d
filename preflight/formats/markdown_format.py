"""Markdown for a pull-request comment or a change ticket: verdict first, within GitHub's size limit."""

from __future__ import annotations

from preflight.engine.interface import FindingStatus, Report
from preflight.formats.json_format import verdict

# GitHub rejects comments over 65,536 characters; keep room for the truncation notice.
MAX_CHARS = 60_000
_BADGE = {"blocked": "🛑 **Blocked**", "safe-with-mitigations": "⚠️ **Safe with mitigations**", "safe": "✅ **Safe**"}


def render(report: Report) -> str:
    counts = report.counts()["severity"]
    head = [
        f"## Istio upgrade {report.source_version} → {report.target_version}: {_BADGE[verdict(report)]}",
        "",
        f"Minors applied: {', '.join(report.path) or 'none'} · gate `--fail-on {report.fail_on.value}` · "
        + " · ".join(f"{name}: {count}" for name, count in counts.items()),
        "",
    ]
    for note in report.notes:
        head.append(f"> {_cell(note)}")
    if report.notes:
        head.append("")
    body: list[str] = []
    entries = report.entries
    affected = [s for s in report.services if s.affected]
    if affected:
        body += ["### Affected services", "", "| Service | Severity | Change | What will happen | Keep old behaviour |",
                 "| --- | --- | --- | --- | --- |"]
        for impact in affected:
            for finding in impact.findings:
                if finding.status is not FindingStatus.AFFECTED:
                    continue
                entry = entries.get(finding.change)
                waiver = report.waivers.waiver_for(finding) if report.waivers is not None else None
                severity = finding.severity.value + (f" (waived: {_cell(waiver.ticket)})" if waiver else "")
                body.append(
                    f"| `{impact.service}` | {severity} | `{finding.change}` | "
                    f"{_cell(entry.impact if entry else finding.message)} | "
                    f"{_cell(entry.mitigation.text if entry else '')} |"
                )
        body.append("")
    if report.waivers is not None and (report.waivers.expired or report.waivers.unused):
        body += [f"> Expired waiver: `{w.change}` on `{w.resource}` ({_cell(w.ticket)}, {w.expires.isoformat()}) "
                 "no longer waives anything" for w in report.waivers.expired]
        body += [f"> Unused waiver: `{w.change}` on `{w.resource}` ({_cell(w.ticket)}) matched no finding"
                 for w in report.waivers.unused]
        body.append("")
    if report.canary_plan is not None and report.canary_plan.waves:
        waves = [f"{w.number}. {w.title}: " + ", ".join(f"`{m.namespace}`" for m in w.moves)
                 for w in report.canary_plan.waves]
        body += ["### Canary waves", "", *waves, ""]
    body += ["### Changes on this path", "", "| Change | Severity | Status | Title |", "| --- | --- | --- | --- |"]
    for outcome in report.changes:
        body.append(
            f"| `{outcome.entry.id}` | {outcome.entry.severity.value} | {outcome.status.value} | "
            f"{_cell(outcome.entry.title)} |"
        )
    text = "\n".join(head + body) + "\n"
    if len(text) > MAX_CHARS:
        cut = text[:MAX_CHARS].rsplit("\n", 1)[0]
        text = cut + "\n\n_…truncated to fit a comment: see the attached HTML or JSON report for the rest._\n"
    return text


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").split())
