"""Gateway listeners that list more than one server certificate.

Reports Gateway API ``Gateway`` listeners whose ``tls.certificateRefs`` names more than
one certificate, and Istio ``Gateway`` servers with more than one ``tls.credentialNames``
entry. From 1.27 Istio serves all of them at once (e.g. an RSA and an ECDSA
certificate) and lets the client's handshake choose; earlier it served one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import list_at, mapping_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    for gateway in context.snapshot.of_kind("Gateway"):
        if gateway.ref.api_version.startswith("gateway.networking.k8s.io/"):
            for listener in list_at(gateway.spec, "listeners"):
                refs = list_at(mapping_at(listener, "tls"), "certificateRefs")
                if len(refs) > 1:
                    yield Hit(
                        gateway.ref,
                        f"Gateway {gateway.namespace}/{gateway.name} listener '{listener.get('name')}' lists "
                        f"{len(refs)} certificates; all are now served and the client picks one",
                    )
        else:
            for server in list_at(gateway.spec, "servers"):
                names = list_at(mapping_at(server, "tls"), "credentialNames")
                if len(names) > 1:
                    yield Hit(
                        gateway.ref,
                        f"Gateway {gateway.namespace}/{gateway.name} server '{server.get('name', server.get('port'))}'"
                        f" lists {len(names)} credentials; all are now served and the client picks one",
                    )
