"""Mesh extension providers of a given type, and the Telemetry resources that use them.

Reads ``extensionProviders`` of every istiod revision's mesh config (the mesh ConfigMap,
else IstioOperator/Helm ``meshConfig``) and reports each provider whose type is one of
``types`` (the provider's key, e.g. ``lightstep``, ``opencensus``), then every Telemetry
resource whose ``tracing``, ``accessLogging`` or ``metrics`` section names such a
provider. The provider itself is scoped to every meshed service; a Telemetry resource
to the workloads it selects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {
    "types": text_list("provider types (keys of an extensionProviders item) to look for", required=True),
}

_TELEMETRY_SECTIONS = ("tracing", "accessLogging", "metrics")


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    types = {str(t) for t in params.get("types") or []}
    names: dict[str, str] = {}
    for revision in context.control_plane.revisions:
        resource = revision.mesh_config_origin
        for provider in list_at(revision.mesh_config, "extensionProviders"):
            if not isinstance(provider, Mapping):
                continue
            kind = next((t for t in types if t in provider), None)
            if kind is None:
                continue
            name = str(provider.get("name", ""))
            names[name] = kind
            if resource is not None:
                yield Hit(
                    resource,
                    f"mesh config of istiod revision '{revision.name}' declares {kind} provider '{name}'",
                    details={"provider": name, "type": kind},
                )
    if not names:
        return
    for telemetry in context.snapshot.of_kind("Telemetry"):
        used = sorted(
            {
                str(ref.get("name"))
                for section in _TELEMETRY_SECTIONS
                for item in list_at(telemetry.spec, section)
                for ref in list_at(item, "providers")
                if isinstance(ref, Mapping) and str(ref.get("name")) in names
            }
        )
        if used:
            kinds = ", ".join(f"'{n}' ({names[n]})" for n in used)
            yield Hit(telemetry.ref, f"Telemetry {telemetry.namespace}/{telemetry.name} sends to provider {kinds}")
