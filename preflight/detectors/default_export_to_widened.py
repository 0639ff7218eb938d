"""Mesh-wide exportTo defaults that list ``.`` together with other namespaces.

``meshConfig.defaultServiceExportTo`` and ``defaultVirtualServiceExportTo`` give the
visibility of every Service, ServiceEntry and VirtualService that sets no ``exportTo`` of
its own. When such a default listed ``.`` (the object's own namespace) next to other
entries, istiod honoured only ``.``: the objects stayed private to their namespace, even
with ``*`` in the list. Once fixed, the other entries count too, so those objects become
visible in the namespaces listed (or everywhere, with ``*``). Reports, once per istiod
revision, each default of that shape; the engine scopes it to every meshed service.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters

PARAMETERS: Parameters = {}

KEYS = ("defaultServiceExportTo", "defaultVirtualServiceExportTo")
OWN_NAMESPACE = "."


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    for revision in context.control_plane.revisions:
        widened = []
        for key in KEYS:
            value = revision.mesh_value(key)
            if not isinstance(value, list):
                continue
            entries = [str(v).strip() for v in value]
            others = sorted({e for e in entries if e and e != OWN_NAMESPACE})
            if OWN_NAMESPACE in entries and others:
                widened.append(f"{key} [{', '.join(entries)}] (from now on also {', '.join(others)})")
        resource = revision.mesh_config_origin
        if widened and resource is not None:
            yield Hit(
                resource,
                f"istiod revision '{revision.name}' mesh config sets {'; '.join(widened)}",
                details={"revision": revision.name},
            )
