"""DestinationRule subsets whose retry budget istiod used to drop.

When istiod builds a subset's cluster from a subset that has its own ``trafficPolicy``,
it merges that policy over the rule's top-level one. The merge left out ``retryBudget``:
the top-level budget did not reach such subsets and a budget set in the subset itself
was ignored, so their retries were limited only by ``connectionPool.http.maxRetries``.
Once fixed, those subsets get the budget. Reports each DestinationRule with such
subsets, naming them and where their budget comes from. Subsets without a traffic policy
of their own always inherited the top-level policy whole and are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import list_at, mapping_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    for rule in context.snapshot.of_kind("DestinationRule"):
        top_budget = bool(mapping_at(mapping_at(rule.spec, "trafficPolicy"), "retryBudget"))
        gaining = []
        for subset in list_at(rule.spec, "subsets"):
            if not isinstance(subset, Mapping):
                continue
            policy = mapping_at(subset, "trafficPolicy")
            if not policy:
                continue
            if mapping_at(policy, "retryBudget"):
                gaining.append(f"{subset.get('name')} (its own retryBudget)")
            elif top_budget:
                gaining.append(f"{subset.get('name')} (the rule's retryBudget)")
        if gaining:
            yield Hit(
                rule.ref,
                f"DestinationRule {rule.namespace}/{rule.name} subsets {', '.join(gaining)} now get a retry budget "
                "that was dropped before",
            )
