"""istiod revisions that set one of the named environment flags.

Reads every istiod revision of the snapshot (the ``discovery`` container's env, then
``pilot.env`` of Helm values and of an IstioOperator) and reports, once per revision,
the flags it sets. Use it for a flag that is removed or renamed (setting it stops
having any effect) or whose meaning flips.

The istiod Deployment is the reported resource when the snapshot has it, else the
install input; the engine scopes it to every meshed service.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list, value_list

PARAMETERS: Parameters = {
    "flags": text_list("istiod environment flags to look for", required=True),
    "values": value_list("only count a flag set to one of these values (case-insensitive); omit for any"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    flags = [str(f) for f in params.get("flags") or []]
    wanted = {str(v).strip().lower() for v in params.get("values") or []}
    for revision in context.control_plane.revisions:
        found = []
        for flag in flags:
            if flag not in revision.env:
                continue
            value = revision.env[flag]
            if wanted and (value is None or value.strip().lower() not in wanted):
                continue
            found.append(f"{flag}={value if value is not None else '<from a reference>'}")
        if not found:
            continue
        resource = revision.env_origin
        if resource is None:
            continue
        yield Hit(
            resource,
            f"istiod revision '{revision.name}' sets {', '.join(found)}",
            details={"revision": revision.name, "flags": ", ".join(found)},
        )
