"""Gateway API Gateways that Istio deploys itself (managed gateways).

Reports each Gateway of class ``istio`` (or of a GatewayClass whose controller is
``istio.io/gateway-controller``) that Istio deploys: no ``spec.addresses``, or one
address of type ``IPAddress``. A ``Hostname`` or ``NamedAddress`` address, or several
addresses, point the Gateway at a deployment the user runs, which Istio leaves alone
(``preflight.istio.gateways.istio_managed_gateways``). Waypoints (class
``istio-waypoint``) are not reported.

Each Gateway is scoped to the services of its own pods and the backends of the routes
attached to it. With ``opt_out_annotations``, a Gateway carrying every one of them keeps
the old behaviour for itself and is left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text, text_list
from preflight.istio.gateway_api import gateway_api_objects, services_of_gateway_api_object
from preflight.istio.gateways import istio_managed_gateways
from preflight.snapshot.interface import K8sObject, ServiceRef, list_at
from preflight.snapshot.model import Snapshot

PARAMETERS: Parameters = {
    "opt_out_annotations": text_list("annotations that, all present on a Gateway, keep its old behaviour"),
    "note": text("a sentence appended to every message, saying what changes"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    opt_out = [str(a) for a in params.get("opt_out_annotations") or []]
    note = f": {params['note']}" if params.get("note") else ""
    for gateway in istio_managed_gateways(snapshot):
        if opt_out and all(a in gateway.annotations for a in opt_out):
            continue
        yield Hit(
            gateway.ref,
            f"Gateway {gateway.namespace}/{gateway.name} is deployed by Istio{note}",
            services=_services(snapshot, gateway),
        )


def _services(snapshot: Snapshot, gateway: K8sObject) -> tuple[ServiceRef, ...]:
    found = set(services_of_gateway_api_object(snapshot, gateway))
    for route in gateway_api_objects(snapshot):
        if route.kind != "Gateway" and any(_names(ref, route, gateway) for ref in list_at(route.spec, "parentRefs")):
            found.update(services_of_gateway_api_object(snapshot, route))
    return tuple(sorted(found))


def _names(ref: object, route: K8sObject, gateway: K8sObject) -> bool:
    return (
        isinstance(ref, Mapping)
        and str(ref.get("kind") or "Gateway") == "Gateway"
        and ref.get("name") == gateway.name
        and str(ref.get("namespace") or route.namespace) == gateway.namespace
    )
