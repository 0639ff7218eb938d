"""Objects written with an API version that is removed or no longer read.

Reports every object whose ``kind`` is one of ``kinds`` and whose ``apiVersion`` is one
of ``api_versions`` (``group/version``; a value ending in ``/`` matches every version of
that group). Istio ignores such objects once support for the version is gone, so the
services they configure lose that configuration.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list

PARAMETERS: Parameters = {
    "kinds": text_list("object kinds to look at", required=True),
    "api_versions": text_list("apiVersion values (or 'group/' prefixes) that are no longer read", required=True),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    kinds = [str(k) for k in params.get("kinds") or []]
    versions = [str(v) for v in params.get("api_versions") or []]
    for obj in context.snapshot.of_kind(*kinds):
        api_version = obj.ref.api_version
        if any(api_version == v or (v.endswith("/") and api_version.startswith(v)) for v in versions):
            yield Hit(obj.ref, f"{obj.ref} is written as {api_version}, which this Istio version no longer reads")
