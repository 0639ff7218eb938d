"""Markdown for a pull-request comment or a change ticket: verdict first, within GitHub's size limit."""

from __future__ import annotations

import re
from collections.abc import Sequence

from preflight.engine.interface import Finding, FindingStatus, Report
from preflight.formats.json_format import verdict
from preflight.formats.safety import escape_control
from preflight.formats.text_format import headline, named_services
from preflight.plan.render import STOPS_WHY, stop_summary
from preflight.redaction import redact_credentials_in_text
from preflight.simulate.calls import Call, CallView, call_view

# GitHub rejects comments over 65,536 characters; keep room for the truncation notice.
MAX_CHARS = 60_000
MAX_ROWS = 300  # about what fits in MAX_CHARS; building more rows only to cut them is wasted work
_BADGE = {"blocked": "🛑 **Blocked**", "safe-with-mitigations": "⚠️ **Safe with mitigations**", "safe": "✅ **Safe**"}


def render(report: Report) -> str:
    head = [
        f"## Istio upgrade {report.source_version} → {report.target_version}: {_BADGE[verdict(report)]}",
        "",
        f"Releases crossed: {report.releases_crossed} · gate `--fail-on {report.fail_on.value}`",
        "",
        f"Affected: {_cell(headline(report))}",
        "",
    ]
    for note in report.notes:
        head.append(f"> {_cell(note)}")
    if report.notes:
        head.append("")
    body = _Body()
    entries = report.entries
    mesh_wide = report.mesh_wide
    if mesh_wide:
        body.add("### Changes that touch every meshed service", "",
                 "| Change | Severity | Reach | Fix | Keep old behaviour |", "| --- | --- | --- | --- | --- |")
        for change in mesh_wide:
            entry = entries.get(change.change)
            body.show(
                f"| {_code(change.change)} | {change.severity.value} | {change.services} of {change.meshed_services} "
                f"meshed services, found on {change.found_on} | {_cell(entry.remediation if entry else '')} | "
                f"{_cell(entry.mitigation.text if entry else '')} |",
                change.findings,
            )
        body.add("")
    # Findings on no service are often the ones that block (an external host's TLS, the target's
    # support window): listed before the long per-service table, so a cut comment keeps them.
    unscoped = [f for f in report.findings if not f.services and f.status is FindingStatus.AFFECTED]
    unscoped.sort(key=lambda finding: -finding.severity.rank)
    if unscoped:
        body.add("### Affected resources not tied to a service", "",
                 "| Resource | Severity | Change | What was found |", "| --- | --- | --- | --- |")
        for finding in unscoped[:MAX_ROWS]:
            body.show(
                f"| {_code(str(finding.resource))} | {_severity(report, finding)} | {_code(finding.change)} | "
                f"{_cell(finding.message)} |",
                (finding,),
            )
        body.add("")
    excluded = {m.change for m in mesh_wide}
    rows = [
        (impact, finding)
        for impact in report.services
        for finding in impact.findings
        if finding.status is FindingStatus.AFFECTED and finding.change not in excluded
    ]
    rows.sort(key=lambda row: -row[1].severity.rank)  # worst first, so a cut table keeps what matters most
    if rows:
        body.add("### Affected services" + (", besides the changes above" if mesh_wide else ""), "",
                 "| Service | Severity | Change | What will happen | Keep old behaviour |",
                 "| --- | --- | --- | --- | --- |")
        for impact, finding in rows[:MAX_ROWS]:
            entry = entries.get(finding.change)
            body.show(
                f"| {_code(str(impact.service))} | {_severity(report, finding)} | {_code(finding.change)} | "
                f"{_cell(entry.impact if entry else finding.message)} | "
                f"{_cell(entry.mitigation.text if entry else '')} |",
                (finding,),
            )
        if len(rows) > MAX_ROWS:
            body.add(f"\n_{len(rows) - MAX_ROWS} more rows: see the attached HTML or JSON report._")
        body.add("")
    if report.field_reports:
        counted = report.fail_on_field_reports or any(report.field_report_fails_gate(f.change)
                                                      for f in report.field_reports)
        body.add("### Field reports to watch", "",
                 "_Unconfirmed upstream: every call is decided with Istio's documented semantics; "
                 + ("counted by the gate._" if counted else "not counted by the gate (`--fail-on-field-reports`)._"),
                 "", "| Change | Severity | Services | Resource | Calls at stake |", "| --- | --- | --- | --- | --- |")
        for finding in report.field_reports[:MAX_ROWS]:
            body.show(
                f"| {_code(finding.change)} | {finding.severity.value} | {_cell(named_services(finding))} | "
                f"{_code(str(finding.resource))} | "
                f"{_cell(finding.details.get('calls_at_stake', ''))} |",
                (finding,),
            )
        if len(report.field_reports) > MAX_ROWS:
            body.add(f"\n_{len(report.field_reports) - MAX_ROWS} more rows: see the attached HTML or JSON report._")
        body.add("")
    if report.waivers is not None and (report.waivers.waived or report.waivers.expired or report.waivers.unused):
        body.add(*[f"> Waiver: {_code(w.change)} on {_code(w.resource)} ({_cell(w.ticket)}) covers {count} "
                   f"finding{'s' if count != 1 else ''}" for w, count in report.waivers.coverage()])
        body.add(*[f"> Expired waiver: {_code(w.change)} on {_code(w.resource)} ({_cell(w.ticket)}, "
                   f"{w.expires.isoformat()}) no longer waives anything" for w in report.waivers.expired])
        body.add(*[f"> Unused waiver: {_code(w.change)} on {_code(w.resource)} ({_cell(w.ticket)}) matched no finding"
                   for w in report.waivers.unused])
        body.add("")
    plan = report.canary_plan
    if plan is not None and len(plan.stops) > 1:
        body.add("### Upgrade stops", "", _cell(STOPS_WHY.format(count=len(plan.stops))), "",
                 *[f"{s.number}. {_cell(stop_summary(s))}" for s in plan.stops], "")
    if plan is not None and plan.waves:
        waves = [f"{w.number}. {_cell(w.title)}: " + ", ".join(_code(m.namespace) for m in w.moves)
                 for w in plan.waves]
        before = ["0. Once, before the first wave: " + ", ".join(_code(s.change) for s in plan.mesh_wide)
                  ] if plan.mesh_wide else []
        body.add("### Canary waves", "", *before, *waves, "")
    if report.simulation is not None and report.simulation.outcomes:
        body.add(*_calls(call_view(report.simulation)))
    body.add("### Changes on this path", "", "| Change | Severity | Status | Title |", "| --- | --- | --- | --- |")
    for outcome in report.changes:
        body.add(
            f"| {_code(outcome.entry.id)} | {outcome.entry.severity.value} | {outcome.status.value} | "
            f"{_cell(outcome.entry.title)} |"
        )
    return body.text(report, "\n".join(head) + "\n")


class _Body:
    """The comment's lines, each with the findings it shows, so that a cut comment can say what it left out."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, Sequence[Finding]]] = []

    def add(self, *lines: str) -> None:
        self.lines += [(line, ()) for line in lines]

    def show(self, line: str, findings: Sequence[Finding]) -> None:
        self.lines.append((line, findings))

    def text(self, report: Report, head: str) -> str:
        kept = [head]
        size = len(head)
        shown: set[int] = set()
        cut = False
        for line, findings in self.lines:
            if size + len(line) + 1 > MAX_CHARS:
                cut = True
                break
            kept.append(line + "\n")
            size += len(line) + 1
            shown.update(id(f) for f in findings)
        left_out = [f for f in report.gate_findings(report.fail_on) if id(f) not in shown]
        if left_out:
            kept.append(
                f"\n_{len(left_out)} finding(s) that fail the gate are not listed in this comment: "
                "see the `findings` of the attached JSON report (or the HTML report)._\n"
            )
        if cut:
            kept.append("\n_…truncated to fit a comment: see the attached HTML or JSON report for the rest._\n")
        return "".join(kept)


def _severity(report: Report, finding: Finding) -> str:
    waiver = report.waivers.waiver_for(finding) if report.waivers is not None else None
    return finding.severity.value + (f" (waived: {_cell(waiver.ticket)})" if waiver else "")


# Every value that reaches the Markdown goes through one of the two functions below: report
# values are data, and must not start a table row, a link, an image, raw HTML or a code span.
_WHITESPACE = re.compile(r"\s+")
_BACKTICKS = re.compile(r"`+")
# What can start markup in the middle of a line: link and image brackets, code spans, emphasis,
# and the cell separator. A backslash makes each literal. (Raw HTML and autolinks need '<', which
# becomes an entity; list and heading markers only count at the start of a line, which a value
# never is.)
_METACHARACTERS = re.compile(r"([\\`*_\[\]|])")


def _plain(text: str) -> str:
    """One line of data: credentials redacted, control bytes visible, every run of whitespace one space."""
    return _WHITESPACE.sub(" ", escape_control(redact_credentials_in_text(text))).strip()


def _calls(view: CallView) -> list[str]:
    """The calls that change with the upgrade, then how many do not; then today's denied calls."""
    volume = "Requests" if view.observed else "Seen"
    lines = ["### Calls that change with the upgrade", ""]
    changed = view.changed
    if changed:
        lines += [f"| Caller | Service | Port | {volume} | Now | After | Effect |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for call in changed[:MAX_ROWS]:
            lines.append(
                f"| {_code(call.caller)} | {_code(call.service)} | {_cell(call.port_protocol)}"
                f"{' ' + _cell(call.request) if call.request else ''} | {_volume(call, view.observed)} | "
                f"{_decided(call.now, call.now_by)} | {_decided(call.after, call.after_by)} | {call.kind} |"
            )
        if len(changed) > MAX_ROWS:
            lines.append(f"\n_{len(changed) - MAX_ROWS} more calls: see the attached HTML or JSON report._")
        lines.append("")
    lines += [f"{'No call changes; ' if not changed else ''}{view.unchanged} call(s) are decided the same before and "
              "after the upgrade.", ""]
    if view.denied_today:
        lines += ["### Calls denied today", "",
                  "Seen in the traffic data and denied with today's configuration: intended, or a live incident.", "",
                  f"| Caller | Service | Port | {volume} | Denied by |", "| --- | --- | --- | --- | --- |"]
        for call in view.denied_today[:MAX_ROWS]:
            lines.append(
                f"| {_code(call.caller)} | {_code(call.service)} | {_cell(call.port_protocol)}"
                f"{' ' + _cell(call.request) if call.request else ''} | {_volume(call, view.observed)} | "
                f"{_cell(call.now_by or 'deny')} |"
            )
        if len(view.denied_today) > MAX_ROWS:
            lines.append(f"\n_{len(view.denied_today) - MAX_ROWS} more calls: see the attached HTML or JSON report._")
        lines.append("")
    return lines


def _volume(call: Call, observed: bool) -> str:
    return f"{call.requests:,}" if observed else "declared"


def _decided(decision: str, by: str) -> str:
    return f"{decision} ({_cell(by)})" if by else decision


def _cell(text: str) -> str:
    """Free text in a table cell or a line of prose, shown literally: no markup, no link, no new row."""
    text = _plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _METACHARACTERS.sub(r"\\\1", text)


def _code(text: str) -> str:
    """``text`` as a code span its content cannot close: the fence is longer than any backtick run in it.

    A ``|`` is escaped because a table ends a cell at it even inside a code span (GitHub drops the backslash).
    """
    text = _plain(text).replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{padding}{text}{padding}{fence}"


# For other Markdown (``preflight diff``): the same escaping under public names.
cell_text = _cell
code_span = _code
