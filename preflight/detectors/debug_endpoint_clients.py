"""Tools outside the control-plane namespace that read istiod's debug endpoints.

Reports Deployments of known debug-endpoint consumers (matched by name or by the
``app`` / ``app.kubernetes.io/name`` label) that run outside the namespaces of istiod.
Once istiod authorises debug endpoints, callers from other namespaces may only read
``config_dump``, ``ndsz`` and ``edsz`` of proxies in their own namespace.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list

PARAMETERS: Parameters = {
    "apps": text_list("names of the debug-endpoint consumers to look for, e.g. kiali", required=True),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    apps = {str(a) for a in params.get("apps") or []}
    system = {r.namespace for r in context.control_plane.revisions} or {context.control_plane.root_namespace}
    for deployment in context.snapshot.of_kind("Deployment"):
        names = {deployment.name, deployment.labels.get("app"), deployment.labels.get("app.kubernetes.io/name")}
        found = sorted(str(n) for n in names & apps)
        if found and deployment.namespace not in system:
            yield Hit(
                deployment.ref,
                f"{found[0]} Deployment {deployment.namespace}/{deployment.name} runs outside the istiod namespace "
                f"({', '.join(sorted(system))}) and loses access to most istiod debug endpoints",
            )
