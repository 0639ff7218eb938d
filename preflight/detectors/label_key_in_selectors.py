"""Selectors and policies that select pods by one of the named label keys.

Reports Services whose ``spec.selector``, controllers whose ``spec.selector.matchLabels``,
Istio policies whose ``selector.matchLabels`` (AuthorizationPolicy, PeerAuthentication,
RequestAuthentication, Sidecar, EnvoyFilter, Telemetry, WasmPlugin, Gateway) and
NetworkPolicies / PodDisruptionBudgets whose ``podSelector`` / ``selector.matchLabels`` use
one of ``labels``. Use it when Istio stops putting a label on the pods it manages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list
from preflight.snapshot.interface import K8sObject, mapping_at

PARAMETERS: Parameters = {
    "labels": text_list("label keys to look for", required=True),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    keys = {str(k) for k in params.get("labels") or []}
    for obj in context.snapshot.objects:
        used = sorted(keys & set(_selector_keys(obj)))
        if used:
            yield Hit(obj.ref, f"{obj.ref} selects pods by {', '.join(used)}", source=obj.source)


def _selector_keys(obj: K8sObject) -> Iterator[str]:
    spec = obj.spec
    if obj.kind == "Service":
        yield from mapping_at(spec, "selector")
        return
    if obj.kind == "NetworkPolicy":
        yield from mapping_at(mapping_at(spec, "podSelector"), "matchLabels")
        return
    selector = mapping_at(spec, "selector")
    yield from mapping_at(selector, "matchLabels")
    if obj.kind == "Gateway" and obj.ref.api_version.startswith("networking.istio.io"):
        yield from selector
