"""TLSRoutes whose hostnames are wider than the hostname of the Gateway listener they attach to.

The Gateway API routes a TLSRoute only for the intersection of its hostnames with its
listener's: a route for ``*.com`` on a listener for ``*.example.com`` serves
``*.example.com``. istiod used to match the route's whole hostname instead, so SNI names
outside the listener's hostname (``shop.com`` here) were routed through that listener;
once fixed, those connections find no route. Reports every such TLSRoute, naming the
listener, its hostname and the route hostnames that reach beyond it, scoped to the
route's backends and gateway. A listener without a hostname constrains nothing and a
route hostname that does not overlap the listener's at all is not attached either way,
so neither is reported. Before 1.30 istiod served ``protocol: TLS`` listeners only with
``PILOT_ENABLE_ALPHA_GATEWAY_API=true``: when the source version is older and not every
istiod revision sets it, the listeners served nothing before, which
``gateway_api_tls_listeners`` reports, and nothing is reported here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.gateway_api import GATEWAY_API_GROUP, services_of_gateway_api_object
from preflight.istio.hosts import matches, subset_of
from preflight.snapshot.interface import K8sObject, list_at
from preflight.snapshot.model import Snapshot

PARAMETERS: Parameters = {}

ALPHA_FLAG = "PILOT_ENABLE_ALPHA_GATEWAY_API"
TLS_LISTENERS_GA = (1, 30)


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    if not _tls_listeners_served_before(context):
        return
    snapshot = context.snapshot
    for route in snapshot.of_kind("TLSRoute"):
        if route.ref.api_version.split("/", 1)[0] != GATEWAY_API_GROUP:
            continue
        hostnames = [str(h) for h in list_at(route.spec, "hostnames") if isinstance(h, str)]
        wider: list[str] = []
        for gateway, listener in _attached_listeners(snapshot, route):
            listener_host = listener.get("hostname")
            if not isinstance(listener_host, str) or not listener_host:
                continue
            beyond = [h for h in hostnames if matches(h, listener_host) and not subset_of(h, listener_host)]
            if beyond:
                wider.append(
                    f"{', '.join(beyond)} beyond listener {gateway.namespace}/{gateway.name}/"
                    f"{listener.get('name')} ({listener_host})"
                )
        if wider:
            yield Hit(
                route.ref,
                f"TLSRoute {route.namespace}/{route.name} hostnames {'; '.join(wider)}: only the part inside the "
                "listener's hostname stays routed",
                services=services_of_gateway_api_object(snapshot, route),
            )


def _tls_listeners_served_before(context: DetectorContext) -> bool:
    if context.path.source.minor_key >= TLS_LISTENERS_GA:
        return True
    revisions = context.control_plane.revisions
    return bool(revisions) and all(str(r.env.get(ALPHA_FLAG) or "").lower() == "true" for r in revisions)


def _attached_listeners(snapshot: Snapshot, route: K8sObject) -> Iterator[tuple[K8sObject, Mapping[str, Any]]]:
    for ref in list_at(route.spec, "parentRefs"):
        if not isinstance(ref, Mapping) or str(ref.get("kind") or "Gateway") != "Gateway":
            continue
        if str(ref.get("group") or GATEWAY_API_GROUP) != GATEWAY_API_GROUP:
            continue
        gateway = snapshot.get("Gateway", str(ref.get("namespace") or route.namespace), str(ref.get("name") or ""))
        if gateway is None or not gateway.ref.api_version.startswith(GATEWAY_API_GROUP + "/"):
            continue
        section, port = ref.get("sectionName"), ref.get("port")
        for listener in list_at(gateway.spec, "listeners"):
            if not isinstance(listener, Mapping) or listener.get("protocol") != "TLS":
                continue
            if section is not None and listener.get("name") != section:
                continue
            if port is not None and listener.get("port") != port:
                continue
            yield gateway, listener
