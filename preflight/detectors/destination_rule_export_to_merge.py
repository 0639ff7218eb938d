"""DestinationRules for the same host that stop being merged because their exportTo differ.

Several DestinationRules without ``workloadSelector`` for the same host (short names
resolved in each rule's namespace) used to be merged into one for a client. From 1.24
(``ENABLE_ENHANCED_DESTINATIONRULE_MERGE``) rules whose ``exportTo`` lists share no
namespace are kept apart, so a client sees only the rule exported to it. Only groups
with at least two rules and disjoint ``exportTo`` are reported (a missing ``exportTo``
is ``*``, which overlaps everything).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from itertools import combinations
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.hosts import resolve_short_name
from preflight.snapshot.interface import K8sObject, list_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    by_host: dict[str, list[K8sObject]] = defaultdict(list)
    for rule in context.snapshot.of_kind("DestinationRule"):
        host = rule.spec.get("host")
        if isinstance(host, str) and not rule.spec.get("workloadSelector"):
            by_host[resolve_short_name(host, rule.namespace)].append(rule)
    for host, rules in sorted(by_host.items()):
        split = set()
        for first, second in combinations(rules, 2):
            if not _export_to(first) & _export_to(second) and "*" not in _export_to(first) | _export_to(second):
                split.update({first.ref, second.ref})
        for rule in rules:
            if rule.ref in split:
                yield Hit(
                    rule.ref,
                    f"DestinationRule {rule.namespace}/{rule.name} for {host} is no longer merged with the other "
                    f"rules for that host: its exportTo ({', '.join(sorted(_export_to(rule)))}) shares no namespace",
                    source=rule.source,
                )


def _export_to(rule: K8sObject) -> set[str]:
    values = {str(v) for v in list_at(rule.spec, "exportTo")} or {"*"}
    return {rule.namespace if v == "." else v for v in values}
