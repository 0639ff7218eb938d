"""Platform readiness of one snapshot for one upgrade path: every platform check, once.

``assess_platform`` runs the Kubernetes, data-plane, revision, Gateway API and support
checks and returns their summary with all their findings; the report date is passed in
so results are reproducible. Finding ids are listed in ``preflight.platform.interface.CHECKS``.
"""

from __future__ import annotations

from datetime import date

from preflight.istio.cluster import Cluster
from preflight.istio.revisions import read_revision_tags
from preflight.platform.dataplane import check_data_plane
from preflight.platform.facts import PlatformFacts, bundled_facts
from preflight.platform.gateway_api import check_gateway_api
from preflight.platform.interface import PlatformReadiness
from preflight.platform.kubernetes import check_kubernetes
from preflight.platform.revisions import check_revisions
from preflight.platform.support import check_support
from preflight.versions import UpgradePath


def assess_platform(
    cluster: Cluster,
    path: UpgradePath,
    report_date: date,
    kubernetes_version_override: str | None = None,
    facts: PlatformFacts | None = None,
) -> PlatformReadiness:
    facts = facts or bundled_facts()
    snapshot, control_plane = cluster.snapshot, cluster.control_plane
    target = path.target
    tags = read_revision_tags(snapshot)
    kubernetes, kubernetes_findings, kubernetes_notes = check_kubernetes(
        snapshot, target, facts, kubernetes_version_override
    )
    data_plane, data_plane_findings, data_plane_notes = check_data_plane(cluster, tags, target, facts)
    revisions, revision_findings = check_revisions(snapshot, control_plane, tags, target.minor_text)
    gateway_api, gateway_findings, gateway_notes = check_gateway_api(snapshot, target, facts)
    support, support_findings, support_notes = check_support(path.source, target, report_date, facts)
    findings = (
        *kubernetes_findings,
        *data_plane_findings,
        *revision_findings,
        *gateway_findings,
        *support_findings,
    )
    notes = (*kubernetes_notes, *data_plane_notes, *gateway_notes, *support_notes)
    return PlatformReadiness(kubernetes, data_plane, revisions, gateway_api, support, findings, notes)
