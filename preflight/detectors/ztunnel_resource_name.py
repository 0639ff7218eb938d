"""ztunnel installs whose resources are not named ``ztunnel``.

The ztunnel Helm chart of 1.25 named its DaemonSet (and ServiceAccount, ConfigMap) after
the Helm release; 1.26 goes back to the fixed name ``ztunnel`` unless ``resourceName``
is set. A ztunnel DaemonSet with another name is therefore replaced by a second one
named ``ztunnel`` on upgrade, and istiod (which expects the ``ztunnel`` identity) must
agree on the name. Reports such DaemonSets, unless the snapshot's Helm values or
IstioOperator set ``resourceName`` (``ztunnel.resourceName``) to their current name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.ambient import ambient_workloads, ztunnel_daemonsets
from preflight.istio.install_values import install_values

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    pinned = {str(v.value) for v in install_values(snapshot, ("resourceName", "ztunnel.resourceName"))}
    carried = tuple(sorted({s for w in ambient_workloads(snapshot) for s in snapshot.services_of_workload(w)}))
    for daemonset in ztunnel_daemonsets(snapshot):
        if daemonset.name == "ztunnel" or daemonset.name in pinned:
            continue
        yield Hit(
            daemonset.ref,
            f"ztunnel DaemonSet {daemonset.namespace}/{daemonset.name} is named after its Helm release; the 1.26 "
            "chart renames it to 'ztunnel' unless resourceName is set",
            services=carried,
        )
