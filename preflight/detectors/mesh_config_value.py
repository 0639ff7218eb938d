"""istiod revisions whose mesh config sets one of the named keys.

Reads each istiod revision's mesh config (the ``istio``/``istio-<rev>`` ConfigMap, else
``meshConfig`` of Helm values or an IstioOperator) and reports, once per revision, the
keys it sets. Use it for a change that only touches meshes which opted into a setting,
such as JSON access-log encoding. The ConfigMap (or the istiod Deployment, or the install
input) is the reported resource; the engine scopes it to every meshed service.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list, value_list

PARAMETERS: Parameters = {
    "keys": text_list("dotted meshConfig keys to look for, e.g. accessLogEncoding", required=True),
    "values": value_list("only count a key set to one of these values (case-insensitive); omit for any"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    keys = [str(k) for k in params.get("keys") or []]
    wanted = {str(v).strip().lower() for v in params.get("values") or []}
    for revision in context.control_plane.revisions:
        found = [
            f"{key}={revision.mesh_value(key)}"
            for key in keys
            if revision.has_mesh_key(key) and (not wanted or str(revision.mesh_value(key)).strip().lower() in wanted)
        ]
        if not found:
            continue
        resource = revision.mesh_config_origin
        if resource is None:
            continue
        yield Hit(
            resource,
            f"istiod revision '{revision.name}' mesh config sets {', '.join(found)}",
            details={"revision": revision.name},
        )
