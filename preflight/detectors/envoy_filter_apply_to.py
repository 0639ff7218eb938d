"""EnvoyFilters with patches applied to the named parts of the Envoy configuration.

Reports every EnvoyFilter with a ``configPatches[].applyTo`` among ``targets`` (for
example ``BOOTSTRAP``), scoped like the EnvoyFilter itself (workload selector, namespace,
or the whole mesh from the root namespace).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {
    "targets": text_list("configPatches applyTo values to look for", required=True),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    targets = {str(t) for t in params.get("targets") or []}
    for envoy_filter in context.snapshot.of_kind("EnvoyFilter"):
        found = sorted(
            {
                str(patch.get("applyTo"))
                for patch in list_at(envoy_filter.spec, "configPatches")
                if isinstance(patch, Mapping) and str(patch.get("applyTo")) in targets
            }
        )
        if found:
            yield Hit(
                envoy_filter.ref,
                f"EnvoyFilter {envoy_filter.namespace}/{envoy_filter.name} patches {', '.join(found)}",
            )
