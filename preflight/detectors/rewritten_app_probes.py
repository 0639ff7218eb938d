"""Sidecar workloads whose Kubernetes probes the istio-agent rewrites.

With a sidecar, istiod's injector rewrites the application's liveness, readiness and
startup probes so the kubelet asks the istio-agent, which then probes the application.
This reports every sidecar-injected workload (decided by ``preflight.istio.injection``)
with a probe of one of ``probe_kinds`` (``httpGet``, ``tcpSocket``, ``grpc``) on any
application container, unless the pod opts out of the rewrite with the annotation
``sidecar.istio.io/rewriteAppHTTPProbers: "false"``. Each hit is scoped to the services
that select the workload and names the containers and probes. With ``http_schemes``, an
``httpGet`` probe counts only when its ``scheme`` (``HTTP`` when unset) is one of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text, text_list
from preflight.istio.injection import PROXY_CONTAINER
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {
    "probe_kinds": text_list("probe handler kinds to look for, e.g. httpGet, tcpSocket", required=True),
    "reason": text("the sentence each hit carries (what changes for these probes)"),
    "http_schemes": text_list("only count httpGet probes with one of these schemes, e.g. [HTTPS]; omit for any"),
}

REWRITE_ANNOTATION = "sidecar.istio.io/rewriteAppHTTPProbers"
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    kinds = [str(k) for k in params.get("probe_kinds") or []]
    reason = str(params.get("reason") or "its probes are answered by the istio-agent")
    schemes = {str(s).upper() for s in params.get("http_schemes") or []}
    snapshot = context.snapshot
    for workload in snapshot.workloads:
        mesh = context.cluster.membership(workload)
        if mesh.mode != "sidecar":
            continue
        if workload.pod_annotations.get(REWRITE_ANNOTATION, "").strip().lower() == "false":
            continue
        probes: list[str] = []
        for container in list_at(workload.pod_spec, "containers"):
            if not isinstance(container, Mapping) or container.get("name") == PROXY_CONTAINER:
                continue
            for probe_name in _PROBES:
                probe = container.get(probe_name)
                if isinstance(probe, Mapping):
                    probes.extend(
                        f"{container.get('name')} {probe_name} ({k})"
                        for k in kinds
                        if k in probe and (k != "httpGet" or _scheme_counts(probe[k], schemes))
                    )
        if probes:
            yield Hit(
                workload.ref,
                f"{workload.ref}: {', '.join(probes)}: {reason}",
                services=snapshot.services_of_workload(workload),
            )


def _scheme_counts(http_get: Any, schemes: set[str]) -> bool:
    if not schemes:
        return True
    scheme = http_get.get("scheme") if isinstance(http_get, Mapping) else None
    return str(scheme or "HTTP").upper() in schemes
