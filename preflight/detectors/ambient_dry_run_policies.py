"""Dry-run AuthorizationPolicies that old ztunnels would enforce.

With ``AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true`` istiod 1.29 sends dry-run
AuthorizationPolicies (annotation ``istio.io/dry-run: "true"``) to ztunnel in a new
field; ztunnels older than 1.29 ignore that field and enforce the policy for real.
Reports dry-run policies that apply to ambient workloads (or, in the root namespace,
to any) when some istiod revision or install input sets the flag to true; nothing is
reported otherwise, since without the flag istiod keeps dry-run policies from ztunnel.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.ambient import ambient_workloads

PARAMETERS: Parameters = {}

FLAG = "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY"
DRY_RUN_ANNOTATION = "istio.io/dry-run"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    if not any(str(r.env.get(FLAG) or "").lower() == "true" for r in context.control_plane.revisions):
        return
    captured = {w.ref for w in ambient_workloads(context.snapshot)}
    scope = context.cluster.scope
    for policy in context.snapshot.of_kind("AuthorizationPolicy"):
        if policy.annotations.get(DRY_RUN_ANNOTATION, "").lower() != "true":
            continue
        targets = [w for w in scope.workloads_for(policy) if w.ref in captured]
        if targets:
            yield Hit(
                policy.ref,
                f"dry-run AuthorizationPolicy {policy.namespace}/{policy.name} reaches {len(targets)} ambient "
                "workload(s); ztunnels older than 1.29 enforce it for real",
                services=scope.services_for_workloads(targets),
            )
