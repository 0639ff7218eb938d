"""Ambient workloads whose PeerAuthentication makes several ports STRICT under a non-STRICT mode.

For ztunnel, istiod turns a workload-level PeerAuthentication's ``portLevelMtls`` into a
policy that rejects plaintext on the STRICT ports. With two or more STRICT ports it used
to put them into one rule that had to match every port at once, so no connection matched
and those ports accepted plaintext as if PERMISSIVE. Once fixed, each STRICT port gets
its own rule and plaintext callers of those ports are refused. Only policies whose
workload does not already inherit or set STRICT as its own mode change (with STRICT
above, istiod skips the port rules). Reports each such policy (decided with
``preflight.istio.peer_authentication``) with its STRICT ports and the ambient workloads
it selects, scoped to their services; sidecars were never affected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.ambient import ambient_workloads
from preflight.istio.peer_authentication import MtlsMode
from preflight.snapshot.interface import K8sObject, ObjectRef, ServiceRef, Workload, mapping_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    policies = context.cluster.peer_authentications
    selected: dict[ObjectRef, list[Workload]] = defaultdict(list)
    by_ref: dict[ObjectRef, K8sObject] = {}
    for workload in ambient_workloads(snapshot):
        policy = policies.policy_for(workload)
        if policy is None or policy.namespace == context.control_plane.root_namespace:
            continue
        if len(_strict_ports(policy)) < 2 or policies.setting_for(workload, None).mode is MtlsMode.STRICT:
            continue
        selected[policy.ref].append(workload)
        by_ref[policy.ref] = policy
    for ref, workloads in sorted(selected.items()):
        ports = ", ".join(str(p) for p in _strict_ports(by_ref[ref]))
        names = ", ".join(sorted(w.ref.name for w in workloads))
        services: set[ServiceRef] = set()
        for workload in workloads:
            services.update(snapshot.services_of_workload(workload))
        yield Hit(
            ref,
            f"PeerAuthentication {ref.namespace}/{ref.name} sets ports {ports} STRICT for ambient workload(s) {names}, "
            "which accepted plaintext on them until the fix",
            services=tuple(sorted(services)),
        )


def _strict_ports(policy: K8sObject) -> list[int]:
    ports = []
    for key, value in mapping_at(policy.spec, "portLevelMtls").items():
        mode = value.get("mode") if isinstance(value, Mapping) else None
        if str(mode or "").upper() == MtlsMode.STRICT.value:
            try:
                ports.append(int(key))
            except (TypeError, ValueError):
                continue  # istiod rejects a port that is not a number
    return sorted(ports)
