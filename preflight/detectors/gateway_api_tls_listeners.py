"""Gateway API listeners with ``protocol: TLS`` that istiod used to ignore.

Before 1.30 istiod accepted ``protocol: TLS`` listeners (TLS passthrough with TLSRoute)
only with ``PILOT_ENABLE_ALPHA_GATEWAY_API=true``. Reports Gateway API Gateways with such
a listener while some istiod revision does not set that flag: from 1.30 the listener
is programmed and its TLSRoutes start receiving traffic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {}

ALPHA_FLAG = "PILOT_ENABLE_ALPHA_GATEWAY_API"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    revisions = context.control_plane.revisions
    if revisions and all(str(r.env.get(ALPHA_FLAG) or "").lower() == "true" for r in revisions):
        return
    for gateway in context.snapshot.of_kind("Gateway"):
        if not gateway.ref.api_version.startswith("gateway.networking.k8s.io/"):
            continue
        listeners = [
            str(item.get("name"))
            for item in list_at(gateway.spec, "listeners")
            if isinstance(item, Mapping) and item.get("protocol") == "TLS"
        ]
        if listeners:
            yield Hit(
                gateway.ref,
                f"Gateway {gateway.namespace}/{gateway.name} TLS listener(s) {', '.join(listeners)} start serving "
                f"without {ALPHA_FLAG}",
            )
