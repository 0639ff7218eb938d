"""Ambient waypoints that served workloads no ``istio.io/use-waypoint`` label binds to them.

Up to 1.21 a waypoint (Gateway of class ``istio-waypoint``) served every ambient workload
of its namespace, or only those running as the service account its
``istio.io/for-service-account`` annotation names. From 1.22 traffic reaches a waypoint
only when the namespace, the service or the pods are labelled ``istio.io/use-waypoint``
with its name. Reports each waypoint that served a service in the old way which no such
label binds to it now (``preflight.istio.ambient.implicitly_served_services``), scoped to
those services; a waypoint whose services are all labelled already is left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text
from preflight.istio.ambient import FOR_SERVICE_ACCOUNT_ANNOTATION, implicitly_served_services, waypoints

PARAMETERS: Parameters = {"note": text("a sentence appended to every message, saying what changes")}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    note = f": {params['note']}" if params.get("note") else ""
    for waypoint in waypoints(context.snapshot):
        services = tuple(implicitly_served_services(context.snapshot, waypoint))
        if not services:
            continue
        account = waypoint.annotations.get(FOR_SERVICE_ACCOUNT_ANNOTATION)
        how = f"service account {account}" if account else "namespace"
        names = ", ".join(s.name for s in services)
        yield Hit(
            waypoint.ref,
            f"waypoint {waypoint.namespace}/{waypoint.name} serves {names} by {how}, "
            f"without istio.io/use-waypoint{note}",
            services=services,
        )
