"""Gateway proxies (ingress and egress gateways, Gateway API gateways), optionally only when traced.

Reports every gateway workload (``preflight.istio.gateways``: gateway labels, the
``gateway`` injection template, or ``proxy router``). With ``only_when_tracing`` the
workloads are reported only when tracing is configured through the Telemetry API
(a Telemetry resource with a ``tracing`` section, or ``defaultProviders.tracing`` in the
mesh config), which is when istiod builds the gateway's tracing from a provider.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, boolean, text
from preflight.istio.gateways import gateway_workloads
from preflight.snapshot.interface import dig, list_at

PARAMETERS: Parameters = {
    "only_when_tracing": boolean("report nothing unless Telemetry API tracing is configured"),
    "note": text("a sentence appended to every message, saying what changes"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    if params.get("only_when_tracing") and not _telemetry_tracing(context):
        return
    note = f": {params['note']}" if params.get("note") else ""
    for workload in gateway_workloads(snapshot):
        yield Hit(workload.ref, f"gateway proxy {workload.ref}{note}")


def _telemetry_tracing(context: DetectorContext) -> bool:
    if any(list_at(t.spec, "tracing") for t in context.snapshot.of_kind("Telemetry")):
        return True
    return any(dig(r.mesh_config, "defaultProviders", "tracing") for r in context.control_plane.revisions)
