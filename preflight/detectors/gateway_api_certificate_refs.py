"""Gateway API Gateways deployed by hand whose listeners read TLS Secrets of their own namespace.

From 1.28 a gateway proxy may read a Secret a Gateway API listener names (``tls.
certificateRefs``) only when both its namespace and its service account match what istiod
expects for that Gateway, or a ReferenceGrant allows it; before, the namespace was enough.
Gateways Istio deploys itself run with the expected service account, so only Gateways
deployed by hand (``spec.addresses`` naming a hostname, or several addresses:
``preflight.istio.gateways.is_managed_gateway``) are reported, with the Secrets their
listeners name. Secrets in another namespace already needed a ReferenceGrant and are not
reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.gateways import is_managed_gateway
from preflight.snapshot.interface import list_at, mapping_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    for gateway in context.snapshot.of_kind("Gateway"):
        if not gateway.ref.api_version.startswith("gateway.networking.k8s.io/") or is_managed_gateway(gateway):
            continue
        secrets = sorted(
            str(ref.get("name"))
            for listener in list_at(gateway.spec, "listeners")
            if isinstance(listener, Mapping)
            for ref in list_at(mapping_at(listener, "tls"), "certificateRefs")
            if isinstance(ref, Mapping)
            and ref.get("kind", "Secret") == "Secret"
            and ref.get("namespace", gateway.namespace) == gateway.namespace
            and ref.get("name")
        )
        if secrets:
            yield Hit(
                gateway.ref,
                f"Gateway {gateway.namespace}/{gateway.name} is deployed by hand and reads TLS Secret(s) "
                f"{', '.join(dict.fromkeys(secrets))}: its proxy needs the service account istiod expects, "
                "or a ReferenceGrant, to keep serving them",
            )
