"""Install inputs (Helm values, IstioOperator ``spec.values``) that set one of the named keys.

Reads every ``HelmValues`` document and ``IstioOperator`` of the snapshot
(``preflight.istio.install_values``) and reports, once per document, the keys it sets.
Use it for a chart value that is removed (setting it stops having any effect, or makes
the chart refuse it), or whose default flips so that only an explicit setting shows who
is touched. Pass every spelling the installers use: the istio-cni chart reads
``ambient.dnsCapture`` where an IstioOperator sets ``cni.ambient.dnsCapture``.

The document is the reported resource. An install setting reaches what the chart
deploys, so the hit is scoped with ``scope``: ``mesh`` (every service with a meshed
workload), ``ambient`` (services of workloads ztunnel captures) or ``none``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text, text_list, value_list
from preflight.istio.ambient import ambient_workloads
from preflight.istio.install_values import InstallValue, install_values
from preflight.snapshot.interface import ObjectRef, ServiceRef

PARAMETERS: Parameters = {
    "keys": text_list("dotted value paths to look for, every spelling the installers use", required=True),
    "values": value_list("only count a key set to one of these values (compared as lowercase text); omit for any"),
    "scope": text("the services a hit is scoped to", choices=("mesh", "ambient", "none"), default="mesh"),
    "note": text("a sentence appended to every message, saying what changes"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    keys = [str(k) for k in params.get("keys") or []]
    wanted = {_text(v) for v in params.get("values") or []}
    note = f": {params['note']}" if params.get("note") else ""
    by_source: dict[ObjectRef, list[InstallValue]] = {}
    for found in install_values(context.snapshot, keys):
        if not wanted or _text(found.value) in wanted:
            by_source.setdefault(found.source.ref, []).append(found)
    if not by_source:
        return
    services = _services(context, str(params.get("scope") or "mesh"))
    for ref, found_values in by_source.items():
        settings = ", ".join(f"{v.key}={_text(v.value)}" for v in found_values)
        yield Hit(
            ref,
            f"{ref.kind} {ref.namespace}/{ref.name} sets {settings}{note}",
            source=found_values[0].source.source,
            services=services,
            details={"values": settings},
        )


def _services(context: DetectorContext, scope: str) -> tuple[ServiceRef, ...] | None:
    if scope == "ambient":
        snapshot = context.snapshot
        return tuple(sorted({s for w in ambient_workloads(snapshot) for s in snapshot.services_of_workload(w)}))
    if scope == "none":
        return None
    return context.cluster.meshed_services


def _text(value: object) -> str:
    """Helm reads YAML booleans and their string spellings alike."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip().lower()
