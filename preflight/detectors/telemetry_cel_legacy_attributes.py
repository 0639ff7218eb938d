"""Telemetry resources whose CEL expressions use the retired Wasm attribute names.

From 1.24 CEL expressions in the Telemetry API use standard Envoy attributes: peer
metadata is ``filter_state.downstream_peer`` / ``filter_state.upstream_peer`` (not
``filter_state["wasm.downstream_peer"]``), node metadata is ``xds.node`` (not ``node``),
and Wasm attributes must be fully qualified (``filter_state["wasm.istio_responseClass"]``).
Reports every Telemetry resource with an expression (metric ``tagOverrides`` values,
access-log ``filter.expression``) that uses one of the old forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import list_at, mapping_at

PARAMETERS: Parameters = {}

_LEGACY = re.compile(
    r"""filter_state\[\s*["']wasm\.(?:downstream|upstream)_peer["']\s*\]"""
    r"""|(?<![\w.\]"'])node\.(?:metadata|id|cluster)"""
    r"""|(?<![\w."'\[])istio_responseClass"""
)


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    for telemetry in context.snapshot.of_kind("Telemetry"):
        expressions = list(_expressions(telemetry.spec))
        found = sorted({m.group(0) for expression in expressions for m in _LEGACY.finditer(expression)})
        if found:
            yield Hit(
                telemetry.ref,
                f"Telemetry {telemetry.namespace}/{telemetry.name} uses retired CEL attributes "
                f"({', '.join(found)}): the expressions stop resolving",
                source=telemetry.source,
            )


def _expressions(spec: Mapping[str, Any]) -> Iterator[str]:
    for metrics in list_at(spec, "metrics"):
        for override in list_at(metrics, "overrides"):
            for tag in mapping_at(override, "tagOverrides").values():
                if isinstance(tag, Mapping) and isinstance(tag.get("value"), str):
                    yield tag["value"]
    for logging in list_at(spec, "accessLogging"):
        expression = mapping_at(logging, "filter").get("expression")
        if isinstance(expression, str):
            yield expression
