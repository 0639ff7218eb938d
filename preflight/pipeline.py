"""The one path from inputs to a report, shared by ``check``, ``plan`` and ``demo``.

load (traffic, then snapshot) → cluster model (``preflight.istio.cluster``) → engine (KB
entries through their detectors) → platform checks → edge simulation → report → sections
(teams, waivers, canary plan, footprint). With ``--cluster-names`` each snapshot runs the
path as its own cluster and the reports are merged. The commands only turn options into
``CheckInputs`` and render what comes back, so ``plan`` and ``check`` cannot disagree
about one cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from preflight import progress
from preflight.engine.clusters import merge_cluster_reports
from preflight.engine.engine import (
    CheckOptions,
    Stages,
    admit,
    apply_entries,
    assemble_report,
    resolve_path,
    simulation_inputs,
)
from preflight.engine.interface import Report
from preflight.istio.cluster import Cluster, build_cluster
from preflight.kb.interface import KnowledgeBase
from preflight.plan.owners import DEFAULT_OWNER_LABEL
from preflight.plan.sections import with_sections, with_waivers
from preflight.platform import assess_platform
from preflight.simulate.simulator import simulate
from preflight.snapshot.loader import LoadOptions, load_snapshot
from preflight.snapshot.model import Snapshot
from preflight.traffic.declared import declared_traffic
from preflight.traffic.interface import TrafficData
from preflight.traffic.loader import load_traffic
from preflight.traffic.resolve import resolve_service_sources


@dataclass(frozen=True)
class CheckInputs:
    """Everything a command gathers from its options; nothing here is read yet."""

    snapshots: Sequence[str]
    kb: KnowledgeBase
    options: CheckOptions
    load: LoadOptions = field(default_factory=LoadOptions)
    traffic_files: Sequence[str] = ()
    cluster_names: Sequence[str] | None = None  # one per snapshot: each checked as its own cluster
    owner_label: str = DEFAULT_OWNER_LABEL
    waivers_file: str | None = None


@dataclass(frozen=True)
class CheckResult:
    report: Report  # with every section; merged when there are several clusters
    per_cluster: tuple[tuple[str, Report], ...] = ()  # each cluster's own report, with its sections


def run(inputs: CheckInputs) -> CheckResult:
    """Load, check and add the report sections, for one cluster or for each named one."""
    # Traffic first: its parsed files are freed before the snapshot is read, lowering the peak.
    traffic = load_traffic(inputs.traffic_files) if inputs.traffic_files else None
    if inputs.cluster_names is None:
        snapshot = load_snapshot(list(inputs.snapshots), inputs.load)
        cluster, report = check_snapshot(snapshot, inputs.kb, inputs.options, traffic)
        return CheckResult(with_sections(report, cluster, inputs.owner_label, inputs.waivers_file))
    per_cluster = []
    for name, path in zip(inputs.cluster_names, inputs.snapshots, strict=True):
        snapshot = load_snapshot([path], replace(inputs.load, cluster_name=name))
        cluster, report = check_snapshot(snapshot, inputs.kb, inputs.options, traffic)
        # Each cluster's own plan holds back only what its unwaived findings hold back.
        per_cluster.append((name, with_sections(report, cluster, inputs.owner_label, inputs.waivers_file)))
    merged = merge_cluster_reports(per_cluster)
    if inputs.waivers_file is not None:
        merged = with_waivers(merged, inputs.waivers_file)
    return CheckResult(merged, tuple(per_cluster))


def run_check(
    snapshot: Snapshot, kb: KnowledgeBase, options: CheckOptions, traffic: TrafficData | None = None
) -> Report:
    """One snapshot's report, without the later sections (teams, waivers, plan, footprint)."""
    return check_snapshot(snapshot, kb, options, traffic)[1]


def check_snapshot(
    snapshot: Snapshot, kb: KnowledgeBase, options: CheckOptions, traffic: TrafficData | None = None
) -> tuple[Cluster, Report]:
    """Apply every KB entry on the path, the platform checks, and the edge simulation.

    ``traffic`` is observed traffic (``--traffic``); without it, the edges the snapshot
    declares are simulated and the report says coverage is partial. The cluster model is
    returned beside the report for the sections that read it.
    """
    gaps, empty = admit(snapshot, options)
    cluster = build_cluster(snapshot)
    path, version_note = resolve_path(options, cluster.control_plane, kb)
    findings, outcomes = apply_entries(cluster, kb, path)
    readiness = assess_platform(
        cluster, path, options.report_date or datetime.now(UTC).date(), options.kubernetes_version
    )
    edges = declared_traffic(cluster) if traffic is None else resolve_service_sources(traffic, snapshot)
    entries = simulation_inputs(kb, path, outcomes)
    with progress.task(f"simulating {len(edges.edges)} edges"):
        simulation = simulate(
            cluster,
            entries.on_path,
            edges.edges,
            not edges.partial,
            earlier_entries=entries.earlier,
            kept_old_behaviour=entries.kept_old_behaviour,
        )
    stages = Stages(cluster, path, version_note, gaps, empty, findings, outcomes, readiness, edges, simulation)
    return cluster, assemble_report(stages, kb, options)
