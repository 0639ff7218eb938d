"""Services whose sidecar callers retry them with istiod's built-in default retry policy.

A change to the built-in retry policy (such as 1.24 dropping 503 from its retriable status
codes) reaches a service only through the routes that fall back on it. istiod takes a
route's ``retries``, else meshConfig ``defaultHttpRetryPolicy``; a policy with ``attempts``
0 or unset turns retries off, and one with ``retryOn`` replaces the built-in conditions and
status codes, so both leave the service untouched. Only an absent policy, or one that sets
``attempts`` without ``retryOn``, keeps the built-in codes
(``preflight.istio.routing.keeps_default_retry_codes``).

Reports each Service that may carry HTTP (not every port declared TCP, TLS, HTTPS, Mongo,
MySQL or Redis) unless the sidecar VirtualService that wins for its host
(``most_specific_winner``) sets its own retries on every http route. Nothing is reported
when the snapshot has no sidecar workload (no caller uses the policy), or when every istiod
revision's meshConfig sets a ``defaultHttpRetryPolicy`` that leaves the built-in codes
(with only some revisions setting one, the services are still reported: their callers may
belong to the others). Ingress gateways' and waypoints' routes, and ServiceEntry hosts, are
not considered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text
from preflight.istio.hosts import service_fqdn
from preflight.istio.routing import (
    SidecarVirtualServices,
    http_route_retries,
    keeps_default_retry_codes,
    may_carry_http,
    most_specific_winner,
)
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {"note": text("a sentence appended to every message, saying what changes")}

MESH_DEFAULT_KEY = "defaultHttpRetryPolicy"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    if not _has_sidecar_callers(context):
        return
    revisions = context.control_plane.revisions
    if revisions and all(
        r.has_mesh_key(MESH_DEFAULT_KEY) and not keeps_default_retry_codes(r.mesh_value(MESH_DEFAULT_KEY))
        for r in revisions
    ):
        return
    note = f": {params['note']}" if params.get("note") else ""
    virtual_services = SidecarVirtualServices(snapshot.of_kind("VirtualService"))
    for ref, service in sorted(snapshot.services.items()):
        ports = [p for p in list_at(service.spec, "ports") if isinstance(p, Mapping)]
        if ports and not any(may_carry_http(p) for p in ports):
            continue
        host = service_fqdn(ref)
        winner = most_specific_winner(host, virtual_services.overlapping(host))
        if winner is not None:
            retries = http_route_retries(winner)
            if retries and not any(keeps_default_retry_codes(r) for r in retries):
                continue
            how = f"not every http route of VirtualService {winner.namespace}/{winner.name} sets its own retries"
        else:
            how = "no VirtualService sets its retries"
        yield Hit(
            service.ref,
            f"Service {ref.namespace}/{ref.name}: {how}{note}",
            services=(ref,),
        )


def _has_sidecar_callers(context: DetectorContext) -> bool:
    return any(
        context.cluster.membership(w).mode == "sidecar" for w in context.snapshot.workloads
    )
