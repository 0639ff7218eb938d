"""Adding the sections later stages compute to a finished report: teams, waivers, plan, footprint."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from preflight.engine.interface import Report
from preflight.footprint.footprint import mesh_footprint
from preflight.istio.cluster import Cluster
from preflight.plan.canary import canary_plan
from preflight.plan.owners import DEFAULT_OWNER_LABEL, owning_teams
from preflight.waivers.loader import load_waivers, review


def with_sections(
    report: Report,
    cluster: Cluster,
    owner_label: str = DEFAULT_OWNER_LABEL,
    waivers_file: str | None = None,
    today: date | None = None,
) -> Report:
    """The report with teams, waivers (when a file is given), the canary plan and the mesh footprint."""
    report = replace(report, teams=owning_teams(cluster.snapshot, owner_label))
    if waivers_file is not None:
        report = with_waivers(report, waivers_file, today)
    return replace(report, canary_plan=canary_plan(cluster, report), footprint=mesh_footprint(cluster, report))


def with_waivers(report: Report, waivers_file: str, today: date | None = None) -> Report:
    """The report with ``--waivers`` reviewed against its findings (waived ones no longer fail the gate)."""
    waivers = load_waivers(waivers_file)
    reviewed = review(waivers, report.findings, today or date.today(), waivers_file)
    return replace(report, waivers=reviewed)
