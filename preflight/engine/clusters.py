"""One report for several clusters of a mesh, which upgrade together.

Each cluster is checked on its own snapshot (its own istiod revisions, flags and
versions); the reports are then merged. Services keep their ``namespace/name`` across
clusters, as Istio's namespace sameness treats them as one service, and every finding
says which cluster it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from preflight.engine.interface import ChangeOutcome, ChangeStatus, ClusterReport, Report, finding_sort_key
from preflight.errors import UsageError
from preflight.simulate.interface import SimulationResult
from preflight.snapshot.interface import SnapshotInfo
from preflight.versions import parse_version

# When clusters disagree about a change, the report shows the status that needs the most attention.
_ATTENTION = {
    ChangeStatus.HIT: 4,
    ChangeStatus.FIELD_REPORT: 3,
    ChangeStatus.MITIGATED: 2,
    ChangeStatus.NOT_PRESENT: 1,
    ChangeStatus.ADVISORY: 0,
}


def cluster_names(option: str | None, snapshots: Sequence[str]) -> list[str] | None:
    """The names of ``--cluster-names a,b``, one per snapshot, or ``None`` for a single-cluster check."""
    if option is None:
        return None
    names = [name.strip() for name in option.split(",")]
    if len(names) != len(snapshots) or not all(names):
        raise UsageError(f"--cluster-names needs one name per snapshot: {len(snapshots)} snapshot(s), got '{option}'")
    if len(set(names)) != len(names):
        raise UsageError(f"--cluster-names has a name twice: '{option}'")
    return names


def merge_cluster_reports(reports: Sequence[tuple[str, Report]]) -> Report:
    if len(reports) == 1:
        name, report = reports[0]
        return _label(name, report)
    labelled = [_label(name, report) for name, report in reports]
    first = labelled[0]
    oldest = min(labelled, key=lambda r: parse_version(r.source_version).as_packaging())
    findings = tuple(sorted((f for report in labelled for f in report.findings), key=finding_sort_key))
    outcomes = [outcome for report in labelled for outcome in report.changes]
    clusters = tuple(
        ClusterReport(
            name=name,
            source_version=report.source_version,
            version_note=report.version_note,
            kubernetes_version=report.snapshot.kubernetes_version,
            sources=report.snapshot.sources,
            platform=report.platform,
            simulation=report.simulation,
        )
        for name, report in reports
    )
    return replace(
        first,
        source_version=oldest.source_version,
        path=tuple(sorted({m for r in labelled for m in r.path}, key=lambda m: parse_version(m).minor_key)),
        crossed=oldest.crossed,  # the same target for all, so the oldest source crosses the most
        findings=findings,
        changes=_merge_changes(outcomes),
        snapshot=SnapshotInfo(
            sources=tuple(s for r in labelled for s in r.snapshot.sources),
            inputs=tuple(i for r in labelled for i in r.snapshot.inputs),
            cluster_name=",".join(name for name, _ in reports),
            dropped_secrets=sum(r.snapshot.dropped_secrets for r in labelled),
        ),
        version_note=f"from the oldest cluster, {oldest.snapshot.cluster_name}: {oldest.version_note}",
        notes=tuple(note for r in labelled for note in r.notes),
        platform=None,  # per cluster, under ``clusters``; findings carry their cluster
        platform_entries={k: v for r in labelled for k, v in r.platform_entries.items()},
        simulation=_merge_simulations([r.simulation for r in labelled if r.simulation is not None]),
        meshed_services=tuple(sorted({s for r in labelled for s in r.meshed_services})),
        clusters=clusters,
    )


def _label(name: str, report: Report) -> Report:
    return replace(
        report,
        findings=tuple(replace(f, cluster=name) for f in report.findings),
        notes=tuple(f"[{name}] {note}" for note in report.notes),
        snapshot=replace(report.snapshot, cluster_name=name),
    )


def _merge_changes(outcomes: Sequence[ChangeOutcome]) -> tuple[ChangeOutcome, ...]:
    merged: dict[str, ChangeOutcome] = {}
    for outcome in outcomes:
        seen = merged.get(outcome.entry.id)
        if seen is None:
            merged[outcome.entry.id] = outcome
            continue
        status = max(seen.status, outcome.status, key=lambda s: _ATTENTION[s])
        notes = [n for n in (seen.mitigation_note, outcome.mitigation_note) if n]
        merged[outcome.entry.id] = ChangeOutcome(
            seen.entry,
            status,
            seen.affected + outcome.affected,
            seen.mitigated + outcome.mitigated,
            "; ".join(dict.fromkeys(notes)) or None,
            introduced_in=seen.introduced_in,
            field_reports=seen.field_reports + outcome.field_reports,
            calls_at_stake=seen.calls_at_stake + outcome.calls_at_stake,
        )
    return tuple(sorted(merged.values(), key=lambda o: (o.entry.introduced_in.as_packaging(), o.entry.id)))


def _merge_simulations(results: Sequence[SimulationResult]) -> SimulationResult | None:
    if not results:
        return None
    return SimulationResult(
        outcomes=tuple(o for r in results for o in r.outcomes),
        traffic_is_observed=all(r.traffic_is_observed for r in results),
        source_semantics=tuple(dict.fromkeys(s for r in results for s in r.source_semantics)),
        applied=tuple(dict.fromkeys(a for r in results for a in r.applied)),
        notes=tuple(dict.fromkeys(n for r in results for n in r.notes)),
        watched=tuple(dict.fromkeys(w for r in results for w in r.watched)),
    )
