"""Ambient meshes large enough for ztunnel's reconnect request to exceed istiod's gRPC limit.

On reconnect ztunnel lists every workload and service it holds, with versions from 1.31;
upstream budgets roughly 1 MiB per 10,000 workloads and services against istiod's
receive limit ``ISTIO_GPRC_MAXRECVMSGSIZE`` (4 MiB unless set). Counts the snapshot's
pods (workloads when no Pods were exported), Services and ServiceEntry hosts; when ambient
is in use and the estimate reaches ``headroom`` of the smallest limit among istiod
revisions, reports each ztunnel DaemonSet (scoped to the ambient services).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, number
from preflight.istio.ambient import ambient_workloads, ztunnel_daemonsets
from preflight.istio.scoping import host_list

PARAMETERS: Parameters = {
    "headroom": number(
        "share of istiod's gRPC receive limit at which to report", default="0.75", minimum=0.01, maximum=1
    ),
}

LIMIT_FLAG = "ISTIO_GPRC_MAXRECVMSGSIZE"  # upstream's spelling
DEFAULT_LIMIT = 4 * 1024 * 1024
BYTES_PER_RESOURCE = 1024 * 1024 / 10_000


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    daemonsets = ztunnel_daemonsets(snapshot)
    if not daemonsets:
        return
    headroom = float(params.get("headroom", 0.75))
    workloads = len(snapshot.pods) or len(snapshot.workloads)
    resources = workloads + len(snapshot.services) + sum(len(host_list(e)) for e in snapshot.of_kind("ServiceEntry"))
    limits = [_limit(r.env.get(LIMIT_FLAG)) for r in context.control_plane.revisions] or [DEFAULT_LIMIT]
    limit = min(limits)
    estimate = resources * BYTES_PER_RESOURCE
    if estimate < headroom * limit:
        return
    carried = tuple(sorted({s for w in ambient_workloads(snapshot) for s in snapshot.services_of_workload(w)}))
    for daemonset in daemonsets:
        yield Hit(
            daemonset.ref,
            f"about {resources} workloads and services need ~{estimate / 1048576:.1f} MiB per ztunnel reconnect "
            f"against istiod's {limit / 1048576:.1f} MiB limit ({LIMIT_FLAG})",
            services=carried,
            details={"resources": str(resources), "limit_bytes": str(limit)},
        )


def _limit(value: str | None) -> int:
    try:
        return int(value) if value else DEFAULT_LIMIT
    except ValueError:
        return DEFAULT_LIMIT
