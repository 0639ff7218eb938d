"""The ambient data plane: enrolled namespaces, ztunnel, the istio-cni agent, waypoints.

Reports the parts of the ambient data plane a change touches, chosen with ``parts``:

* ``namespaces``: namespaces labelled ``istio.io/dataplane-mode=ambient`` (scoped to
  their services);
* ``workloads``: workloads ztunnel captures (ambient namespace or pod label, no sidecar);
* ``ztunnel``: ztunnel DaemonSets;
* ``cni``: istio-cni node agent DaemonSets; with ``cni_only_with_ambient`` true they are
  reported only when the snapshot shows ambient in use (the change is in ambient redirection);
* ``waypoints``: Gateway API Gateways of class ``istio-waypoint`` (scoped to the services
  bound to them with ``istio.io/use-waypoint``).

With ``only_with_dns_capture`` nothing is reported unless the snapshot shows ambient DNS
capture switched on (istio-cni value ``ambient.dnsCapture`` / ``cni.ambient.dnsCapture``
true, or ``AMBIENT_DNS_CAPTURE`` true in the ``istio-cni-config`` ConfigMap); up to 1.24
it was off unless set.

Node-agent hits (ztunnel, cni) are scoped to the services of ambient workloads, since
those are the pods whose traffic they carry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, boolean, text, text_list
from preflight.istio.ambient import (
    ambient_in_use,
    ambient_namespaces,
    ambient_workloads,
    cni_daemonsets,
    dns_capture_sources,
    services_using_waypoint,
    waypoints,
    ztunnel_daemonsets,
)
from preflight.snapshot.interface import ServiceRef

PARAMETERS: Parameters = {
    "parts": text_list(
        "the parts of the ambient data plane to report",
        required=True,
        choices=("namespaces", "workloads", "ztunnel", "cni", "waypoints"),
    ),
    "cni_only_with_ambient": boolean("report istio-cni only when the snapshot shows ambient in use"),
    "only_with_dns_capture": boolean("report nothing unless ambient DNS capture is switched on"),
    "note": text("a sentence appended to every message, saying what changes"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    parts = {str(p) for p in params.get("parts") or []}
    if params.get("only_with_dns_capture") and not dns_capture_sources(snapshot):
        return
    note = f": {params['note']}" if params.get("note") else ""
    captured = ambient_workloads(snapshot)
    carried: tuple[ServiceRef, ...] = tuple(sorted({s for w in captured for s in snapshot.services_of_workload(w)}))
    if "namespaces" in parts:
        for namespace in ambient_namespaces(snapshot):
            yield Hit(namespace.ref, f"namespace {namespace.name} is enrolled in ambient mode{note}")
    if "workloads" in parts:
        for workload in captured:
            yield Hit(workload.ref, f"{workload.ref} is captured by ztunnel (ambient mode){note}")
    if "ztunnel" in parts:
        for daemonset in ztunnel_daemonsets(snapshot):
            yield Hit(
                daemonset.ref,
                f"ztunnel DaemonSet {daemonset.namespace}/{daemonset.name}{note}",
                services=carried,
            )
    if "cni" in parts and (not params.get("cni_only_with_ambient") or ambient_in_use(snapshot)):
        for daemonset in cni_daemonsets(snapshot):
            yield Hit(
                daemonset.ref,
                f"istio-cni agent DaemonSet {daemonset.namespace}/{daemonset.name}{note}",
                services=carried,
            )
    if "waypoints" in parts:
        for waypoint in waypoints(snapshot):
            yield Hit(
                waypoint.ref,
                f"waypoint {waypoint.namespace}/{waypoint.name}{note}",
                services=tuple(services_using_waypoint(snapshot, waypoint)),
            )
