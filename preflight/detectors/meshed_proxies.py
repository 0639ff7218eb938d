"""Workloads whose proxies take a changed default: every meshed proxy of a data-plane mode.

For changes in how every proxy behaves (an agent flag flipped, a listener or retry
default changed), the affected services are those with a workload in the mesh. This
reports each such workload once, scoped to the services that select it, and leaves
out workloads that already keep the old behaviour for themselves:

* ``proxy_flag``: an agent environment flag; a workload whose ``ProxyConfig``
  resources or ``proxy.istio.io/config`` annotation set it under ``proxyMetadata`` /
  ``environmentVariables`` to ``old_value`` is not affected. (Mesh-wide
  ``defaultConfig.proxyMetadata`` is a mitigation the engine checks per revision.)
* ``opt_out_annotation``: a pod annotation that opts the workload out of the change
  (any value, unless ``opt_out_value`` is given).

Membership (sidecar, ambient) is decided by ``preflight.istio.injection``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text, text_list
from preflight.istio.proxy_config import workload_proxy_env

PARAMETERS: Parameters = {
    "modes": text_list(
        "the data-plane modes whose proxies take the change", choices=("sidecar", "ambient"), default="[sidecar]"
    ),
    "proxy_flag": text("an agent flag that, set to old_value in a workload's proxy config, keeps its old behaviour"),
    "old_value": text("the proxy_flag value that keeps the old behaviour", default='"false"'),
    "opt_out_annotation": text("a pod annotation that opts a workload out of the change"),
    "opt_out_value": text("the opt_out_annotation value that opts out; omit for any value"),
    "reason": text("the sentence each hit carries", default="its proxy takes the new default"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    modes = {str(m) for m in params.get("modes") or ["sidecar"]}
    flag = params.get("proxy_flag")
    old_value = str(params.get("old_value", "false")).lower()
    opt_out = params.get("opt_out_annotation")
    opt_out_value = params.get("opt_out_value")
    reason = str(params.get("reason") or "its proxy takes the new default")
    root = context.control_plane.root_namespace
    for workload in snapshot.workloads:
        member = context.cluster.membership(workload)
        if member.mode not in modes:
            continue
        if flag and str(workload_proxy_env(workload, snapshot, root).get(str(flag), "")).lower() == old_value:
            continue
        annotation = workload.pod_annotations.get(str(opt_out)) if opt_out else None
        if annotation is not None and (opt_out_value is None or annotation == str(opt_out_value)):
            continue
        services = snapshot.services_of_workload(workload)
        yield Hit(
            workload.ref,
            f"{workload.ref} ({member.mode}, {member.reason}): {reason}",
            source=workload.obj.source,
            services=services or None,
        )
