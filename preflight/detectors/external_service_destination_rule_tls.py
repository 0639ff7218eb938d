"""DestinationRules that set TLS credentials for hosts of MESH_EXTERNAL ServiceEntries.

For a destination outside the mesh (ServiceEntry ``location: MESH_EXTERNAL``, the
default), a DestinationRule that originates TLS (``SIMPLE``/``MUTUAL``) with its own
certificates (``clientCertificate``, ``privateKey``, ``caCertificates`` or
``credentialName``) had them overridden by certificates from the proxy's metadata.
From 1.24 (``PREFER_DESTINATIONRULE_TLS_FOR_EXTERNAL_SERVICES``) the DestinationRule's
certificates are used. Each hit is such a DestinationRule.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.destination_rules import tls_blocks
from preflight.istio.hosts import HostSet, resolve_short_name
from preflight.istio.scoping import host_list

PARAMETERS: Parameters = {}

_CERTIFICATE_FIELDS = ("clientCertificate", "privateKey", "caCertificates", "credentialName")


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    external_hosts = HostSet(
        resolve_short_name(h, entry.namespace)
        for entry in context.snapshot.of_kind("ServiceEntry")
        if str(entry.spec.get("location") or "MESH_EXTERNAL").upper() == "MESH_EXTERNAL"
        for h in host_list(entry)
    )
    if not external_hosts:
        return
    for rule in context.snapshot.of_kind("DestinationRule"):
        host = rule.spec.get("host")
        if not isinstance(host, str):
            continue
        fqdn = resolve_short_name(host, rule.namespace)
        if not external_hosts.matches_any(fqdn):
            continue
        blocks = [
            b for b in tls_blocks(rule) if b.originates_user_tls and any(b.settings.get(f) for f in _CERTIFICATE_FIELDS)
        ]
        if blocks:
            yield Hit(
                rule.ref,
                f"DestinationRule {rule.namespace}/{rule.name} sets TLS certificates for external host {host}: "
                "they now take precedence over certificates from proxy metadata",
                source=rule.source,
            )
