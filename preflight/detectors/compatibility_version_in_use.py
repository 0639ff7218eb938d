"""istiod revisions installed with one of the named ``compatibilityVersion`` values.

Reads ``compatibilityVersion`` from the install inputs the snapshot holds (IstioOperator
``spec.values``, Helm values). Use it when a profile is removed or stops restoring
behaviour it used to restore.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list

PARAMETERS: Parameters = {
    "versions": text_list('compatibilityVersion values to look for, e.g. ["1.20"]', required=True),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    wanted = {str(v) for v in params.get("versions") or []}
    for revision in context.control_plane.revisions:
        if revision.compatibility_version not in wanted:
            continue
        resource = revision.install_sources[0] if revision.install_sources else revision.deployment
        if resource is not None:
            yield Hit(
                resource,
                f"istiod revision '{revision.name}' is installed with compatibilityVersion "
                f"{revision.compatibility_version}",
            )
