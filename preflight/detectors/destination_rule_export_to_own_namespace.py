"""DestinationRules whose exportTo names their own namespace next to other namespaces.

A DestinationRule's ``exportTo`` decides which namespaces' clients apply it. istiod used
to treat any list that named the rule's own namespace (by name, not ``.``) as private to
that namespace, whatever else it listed; once fixed, only a list holding nothing else is
private, so the rule now reaches the clients of the other namespaces listed too. Reports
every such rule, naming the namespaces it starts to reach, scoped to the services its
host names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    for rule in context.snapshot.of_kind("DestinationRule"):
        export_to = [str(e).strip() for e in list_at(rule.spec, "exportTo") if isinstance(e, str)]
        if rule.namespace not in export_to:
            continue
        others = sorted({e for e in export_to if e and e not in (rule.namespace, ".")})
        if others:
            reach = "every namespace" if "*" in others else ", ".join(others)
            yield Hit(
                rule.ref,
                f"DestinationRule {rule.namespace}/{rule.name} exportTo [{', '.join(export_to)}] names its own "
                f"namespace: it was private to it, and now also applies to clients in {reach}",
            )
