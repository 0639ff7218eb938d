"""ServiceEntries with ``resolution: NONE`` whose ports name a different ``targetPort``.

Up to 1.21 istiod ignored ``targetPort`` on a ServiceEntry resolved with ``NONE``
(pass-through to the original destination address): traffic went to the port the client
dialled. From 1.22 the sidecar forwards to ``targetPort``. Only ports whose
``targetPort`` is set and differs from ``number`` change destination; each hit lists
them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    for entry in context.snapshot.of_kind("ServiceEntry"):
        if str(entry.spec.get("resolution", "NONE")).upper() != "NONE":
            continue
        changed = []
        for port in list_at(entry.spec, "ports"):
            if not isinstance(port, Mapping):
                continue
            number, target = port.get("number"), port.get("targetPort")
            if target is not None and str(target) != str(number):
                changed.append(f"{number}→{target}")
        if not changed:
            continue
        ports = ", ".join(changed)
        yield Hit(
            entry.ref,
            f"ServiceEntry {entry.namespace}/{entry.name} (resolution NONE) sets targetPort on port(s) "
            f"{ports}: traffic will be forwarded to the targetPort instead of the port the client called",
            source=entry.source,
            details={"ports": ports},
        )
