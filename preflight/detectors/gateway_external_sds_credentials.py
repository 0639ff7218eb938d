"""Istio Gateway servers whose credential is served by an external SDS server (``sds://``).

A Gateway server's ``tls.credentialName`` (or ``credentialNames``) of the form
``sds://<name>`` asks for its certificate from an SDS server other than istiod. Where
the mesh config names an SDS extension provider, istiod used to pick the provider called
``<name>`` and request the resource ``sds://<name>`` from it; after the fix it uses the
first SDS provider and requests ``<name>`` alone (``<name>-cacert`` for a MUTUAL server's
CA). Without such a provider the gateway used to get nothing, and now reads the
Kubernetes Secret ``<name>`` through istiod. Reports each server with such a credential,
saying which of the two cases the mesh config shows.
Gateways with a local SDS socket (credential socket metadata on the proxy) keep the full
name, which a snapshot cannot show, so they are reported too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {}

EXTERNAL_PREFIX = "sds://"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    providers = sorted(
        {
            str(item.get("name"))
            for revision in context.control_plane.revisions
            for item in revision.mesh_value("extensionProviders") or []
            if isinstance(item, Mapping) and isinstance(item.get("sds"), Mapping)
        }
    )
    for gateway in context.snapshot.of_kind("Gateway"):
        if not gateway.ref.api_version.startswith("networking.istio.io/"):
            continue
        external = sorted(
            {
                name
                for server in list_at(gateway.spec, "servers")
                if isinstance(server, Mapping) and isinstance(server.get("tls"), Mapping)
                for name in [server["tls"].get("credentialName"), *list_at(server["tls"], "credentialNames")]
                if isinstance(name, str) and name.startswith(EXTERNAL_PREFIX)
            }
        )
        if not external:
            continue
        resources = ", ".join(n.removeprefix(EXTERNAL_PREFIX) for n in external)
        if providers:
            change = (
                f"its certificates are requested as {resources} (not {', '.join(external)}) from the first SDS "
                f"extension provider ({providers[0]})"
            )
        else:
            change = (
                f"with no SDS extension provider in the mesh config, it now reads the Kubernetes Secret(s) {resources}"
            )
        yield Hit(gateway.ref, f"Gateway {gateway.namespace}/{gateway.name} uses {', '.join(external)}: {change}")
