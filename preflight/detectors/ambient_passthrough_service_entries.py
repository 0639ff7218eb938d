"""ServiceEntries with resolution NONE in a mesh that runs ambient.

From 1.28 istiod sends ServiceEntries with ``resolution: NONE`` (the default when
``resolution`` is omitted) to ztunnel as a new PASSTHROUGH service type. ztunnels older
than istiod reject the update (NACK) until they are upgraded: an existing entry keeps
its old configuration, a new one is unknown to ztunnel (traffic passes through without
the waypoint it may need). Reports such ServiceEntries when the snapshot shows ambient
in use (ztunnel, ambient namespaces or ambient workloads).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.ambient import ambient_in_use

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    if not ambient_in_use(context.snapshot):
        return
    for entry in context.snapshot.of_kind("ServiceEntry"):
        if str(entry.spec.get("resolution") or "NONE") != "NONE":
            continue
        yield Hit(
            entry.ref,
            f"ServiceEntry {entry.namespace}/{entry.name} (resolution NONE) becomes a PASSTHROUGH service that "
            "ztunnels older than istiod reject until they are upgraded",
        )
