"""BackendTLSPolicies whose effect changes: v1alpha3 ones stop applying, v1 ones start.

Before 1.28 Istio read BackendTLSPolicy only with ``PILOT_ENABLE_ALPHA_GATEWAY_API=true``.
From 1.28 it reads the ``v1`` version without that flag and no longer reads ``v1alpha3``.
Reports every ``v1alpha3`` policy (its TLS settings stop applying), and every ``v1``
policy while some istiod revision does not set the alpha flag (its TLS settings start
applying: traffic to the target services is now TLS-originated). Scoped to the
Services the policy's ``targetRefs`` name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.scoping import target_refs
from preflight.snapshot.interface import ServiceRef

PARAMETERS: Parameters = {}

ALPHA_FLAG = "PILOT_ENABLE_ALPHA_GATEWAY_API"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    revisions = context.control_plane.revisions
    alpha_everywhere = bool(revisions) and all(str(r.env.get(ALPHA_FLAG) or "").lower() == "true" for r in revisions)
    for policy in context.snapshot.of_kind("BackendTLSPolicy"):
        targets = tuple(
            sorted(
                ServiceRef(policy.namespace, str(t.get("name")))
                for t in target_refs(policy.spec)
                if t.get("kind", "Service") == "Service" and t.get("name")
            )
        )
        where = f"BackendTLSPolicy {policy.namespace}/{policy.name}"
        version = policy.ref.api_version.rsplit("/", 1)[-1]
        if version == "v1alpha3":
            yield Hit(
                policy.ref, f"{where} is v1alpha3, no longer read: its TLS settings stop applying", services=targets
            )
        elif version == "v1" and not alpha_everywhere:
            yield Hit(
                policy.ref,
                f"{where} was ignored without {ALPHA_FLAG}=true and now applies: calls to its targets become TLS",
                services=targets,
            )
