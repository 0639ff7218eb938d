"""Meshes that relied on the implicit tracer pointing at ``zipkin.istio-system:9411``.

Up to 1.21 every proxy without an explicit tracer sent spans to
``zipkin.istio-system:9411``. From 1.22 there is no default tracer. This only matters
where that address answers, so the detector needs a ``zipkin`` Service in the root
namespace (what ``istioctl x precheck --from-version`` looks for), and a revision whose
mesh config chooses no tracer itself: no ``defaultConfig.tracing``, no
``defaultProviders.tracing``, ``enableTracing`` not ``false``, and no ``Telemetry``
resource naming tracing providers. Each hit is the zipkin Service, scoped to every
service with a meshed workload (their spans stop arriving).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import dig, list_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    control_plane = context.control_plane
    zipkin = snapshot.get("Service", control_plane.root_namespace, "zipkin")
    if zipkin is None or _telemetry_sets_tracing(context):
        return
    relying = [r.name for r in control_plane.revisions if _relies_on_default(r.mesh_config)]
    if control_plane.revisions and not relying:
        return
    which = ", ".join(f"'{name}'" for name in relying) or "(no istiod in the snapshot: assumed default)"
    yield Hit(
        zipkin.ref,
        f"Service {zipkin.namespace}/zipkin receives spans only through the implicit default tracer, which "
        f"1.22 removes: proxies of istiod revision(s) {which} stop sending traces",
        source=zipkin.source,
        services=context.cluster.meshed_services,
    )


def _relies_on_default(mesh_config: Mapping[str, Any]) -> bool:
    if mesh_config.get("enableTracing") is False:
        return False
    if dig(mesh_config, "defaultConfig", "tracing"):
        return False
    return not dig(mesh_config, "defaultProviders", "tracing")


def _telemetry_sets_tracing(context: DetectorContext) -> bool:
    for telemetry in context.snapshot.of_kind("Telemetry"):
        for tracing in list_at(telemetry.spec, "tracing"):
            if isinstance(tracing, Mapping) and list_at(tracing, "providers"):
                return True
    return False
