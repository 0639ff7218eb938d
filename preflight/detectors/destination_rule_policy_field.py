"""DestinationRules whose traffic policy sets (or leaves out) given fields.

Looks at every traffic policy of a DestinationRule: ``trafficPolicy``, its
``portLevelSettings``, and each subset's ``trafficPolicy`` with its port-level settings.
Reports the rule once when some policy has every field of ``fields`` set and none of
``missing`` (dotted paths inside the policy). Scoped to the services the rule's host names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text, text_list
from preflight.snapshot.interface import dig, list_at, mapping_at

PARAMETERS: Parameters = {
    "fields": text_list("dotted policy paths that must be set, e.g. connectionPool, outlierDetection", required=True),
    "missing": text_list("dotted policy paths that must be absent (or zero) for the policy to count"),
    "note": text("a sentence appended to every message, saying what changes"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    fields = [str(f) for f in params.get("fields") or []]
    missing = [str(f) for f in params.get("missing") or []]
    note = f": {params['note']}" if params.get("note") else ""
    for rule in context.snapshot.of_kind("DestinationRule"):
        for where, policy in _policies(rule.spec):
            if all(_set(policy, f) for f in fields) and not any(_set(policy, f) for f in missing):
                yield Hit(
                    rule.ref,
                    f"DestinationRule {rule.namespace}/{rule.name} {where} sets {', '.join(fields)}"
                    + (f" without {', '.join(missing)}" if missing else "")
                    + note,
                )
                break


def _set(policy: Mapping[str, Any], dotted: str) -> bool:
    value = dig(policy, *dotted.split("."))
    return value not in (None, 0, "", {}, [])


def _policies(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    top = mapping_at(spec, "trafficPolicy")
    yield from _with_ports("trafficPolicy", top)
    for subset in list_at(spec, "subsets"):
        if isinstance(subset, Mapping):
            yield from _with_ports(f"subset {subset.get('name')}", mapping_at(subset, "trafficPolicy"))


def _with_ports(where: str, policy: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if policy:
        yield where, policy
    for port in list_at(policy, "portLevelSettings"):
        if isinstance(port, Mapping):
            yield f"{where} port {dig(port, 'port', 'number')}", port
