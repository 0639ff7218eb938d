"""Services and ServiceEntries that ask for a traffic distribution Istio starts to honour.

Istio derives a service's traffic distribution from ``spec.trafficDistribution`` of a
Kubernetes Service, else from the ``networking.istio.io/traffic-distribution``
annotation (Services and ServiceEntries, case-insensitive). Reports the objects whose
value is one of ``values``: for them, proxies start preferring endpoints in the same
zone or node (and receive unhealthy endpoints to know when to spill over).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, boolean, text_list

PARAMETERS: Parameters = {
    "values": text_list("the distribution values that change behaviour, e.g. PreferSameZone", required=True),
    "service_entries": boolean("also look at ServiceEntry annotations"),
}

ANNOTATION = "networking.istio.io/traffic-distribution"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    values = {str(v).lower() for v in params.get("values") or []}
    for service in context.snapshot.of_kind("Service"):
        spec_value = service.spec.get("trafficDistribution")
        chosen = str(spec_value) if spec_value else service.annotations.get(ANNOTATION, "")
        if chosen.lower() in values:
            yield Hit(service.ref, f"Service {service.namespace}/{service.name} asks for traffic distribution {chosen}")
    if not params.get("service_entries"):
        return
    for entry in context.snapshot.of_kind("ServiceEntry"):
        chosen = entry.annotations.get(ANNOTATION, "")
        if chosen.lower() in values:
            yield Hit(entry.ref, f"ServiceEntry {entry.namespace}/{entry.name} asks for traffic distribution {chosen}")
