"""The stops of a long upgrade: how far one control-plane upgrade may jump, and what each jump brings.

Istio documents the largest step per upgrade method:

* canary (revision-based) upgrade: at most two minors in one step, e.g. 1.8 straight to 1.10
  (https://istio.io/latest/docs/setup/upgrade/canary/, "Before you upgrade");
* in-place upgrade: the installed version may be at most one minor behind the new one, so every
  minor in between is a stop (https://istio.io/latest/docs/setup/upgrade/in-place/, "Upgrade
  prerequisites").

The plan is a canary plan, so a path longer than two minors is cut into two-minor steps, the last
one ending at ``--to`` exactly (1.20 → 1.28: 1.22, 1.24, 1.26, 1.28). An intermediate stop is a minor
("its newest patch"), as ``--to 1.22`` is read.

Each stop gets the findings of the report that arrive with it: a change arrives at the first stop
whose version ships it on its release line (backports included), so no finding is counted at two
stops. Findings of no knowledge-base change (platform checks: support windows, proxy skew) belong
to no stop and stay in the report as they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

from preflight.engine.interface import Finding, FindingStatus, Report
from preflight.kb.interface import Severity
from preflight.plan.interface import Stop
from preflight.versions import IstioVersion, parse_version

CANARY_MAX_MINORS = 2  # istio.io/latest/docs/setup/upgrade/canary/
IN_PLACE_MAX_MINORS = 1  # istio.io/latest/docs/setup/upgrade/in-place/
_NEWEST_PATCH = 10**6


def stop_versions(
    source: IstioVersion, target: IstioVersion, max_minors: int = CANARY_MAX_MINORS
) -> list[IstioVersion]:
    """Every version the control plane stops at after ``source``, ``target`` last."""
    if target.major != source.major or target.minor - source.minor <= max_minors:
        return [target]
    minors = range(source.minor + max_minors, target.minor, max_minors)
    return [IstioVersion(source.major, minor) for minor in minors] + [target]


def upgrade_stops(report: Report, revision_name: Callable[[str], str]) -> tuple[Stop, ...]:
    """The report's path as canary stops, each with the open findings that arrive with it."""
    source, target = parse_version(report.source_version), parse_version(report.target_version)
    versions = stop_versions(source, target)
    arriving: dict[int, list[Finding]] = {index: [] for index in range(len(versions))}
    # Where a finding arrives depends only on its change; a change has thousands of findings in a large mesh.
    stop_of_change: dict[str, int | None] = {}
    for finding in report.findings:
        if finding.status is not FindingStatus.AFFECTED:
            continue
        if finding.change not in stop_of_change:
            stop_of_change[finding.change] = _arrives_at(report, finding.change, versions)
        index = stop_of_change[finding.change]
        if index is not None:
            arriving[index].append(finding)
    stops = []
    previous = source
    for index, version in enumerate(versions):
        findings = arriving[index]
        stops.append(
            Stop(
                number=index + 1,
                source=str(previous),
                target=str(version),
                revision=revision_name(str(version)),
                findings=_by_severity(findings),
                gate_changes=tuple(sorted({f.change for f in findings if f.severity.rank >= report.fail_on.rank})),
                changes=tuple(sorted({f.change for f in findings})),
            )
        )
        previous = version
    return tuple(stops)


def _arrives_at(report: Report, change: str, versions: list[IstioVersion]) -> int | None:
    entry = report.entries.get(change)
    if entry is None or change in report.platform_entries:
        return None
    lines = entry.release_lines
    for index, version in enumerate(versions):
        if lines.present_in(version, missing_patch=_NEWEST_PATCH):
            return index
    return len(versions) - 1  # the report found it on this path, so it arrives by the target at the latest


def _by_severity(findings: list[Finding]) -> Mapping[str, int]:
    counts = Counter(f.severity.value for f in findings)
    return {s.value: counts[s.value] for s in sorted(Severity, key=lambda s: -s.rank) if counts[s.value]}
