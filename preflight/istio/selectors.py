"""Label selectors as Kubernetes and Istio evaluate them.

* Kubernetes ``Service.spec.selector`` is a plain map; an empty or missing one selects
  no pods (the service's endpoints are managed by hand).
* Kubernetes ``LabelSelector`` (``matchLabels`` + ``matchExpressions``); an empty one
  selects everything.
* Istio workload selectors: ``selector.matchLabels`` on AuthorizationPolicy,
  PeerAuthentication, RequestAuthentication, Telemetry and WasmPlugin;
  ``workloadSelector.labels`` on Sidecar and EnvoyFilter. Missing or empty means every
  workload of the resource's namespace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def matches_labels(required: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Every required key is present with an equal value (an empty requirement matches)."""
    return all(labels.get(key) == value for key, value in required.items())


def matches_label_selector(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes ``metav1.LabelSelector`` semantics; ``None`` and ``{}`` match everything."""
    if not selector:
        return True
    match_labels = selector.get("matchLabels") or {}
    if isinstance(match_labels, Mapping) and not matches_labels(
        {str(k): str(v) for k, v in match_labels.items()}, labels
    ):
        return False
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, Mapping):
            return False
        key = str(expression.get("key", ""))
        operator = expression.get("operator")
        values = {str(v) for v in expression.get("values") or []}
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def workload_selector_labels(spec: Mapping[str, Any]) -> Mapping[str, str] | None:
    """The labels an Istio resource selects workloads by; ``None`` when it selects none (namespace-wide)."""
    if not isinstance(spec, Mapping):
        return None
    for field, labels_key in (("selector", "matchLabels"), ("workloadSelector", "labels")):
        selector = spec.get(field)
        if isinstance(selector, Mapping):
            labels = selector.get(labels_key)
            if isinstance(labels, Mapping) and labels:
                return {str(k): str(v) for k, v in labels.items()}
    return None


class LabelIndex(Generic[T]):
    """Items indexed by each of their label pairs, so a selector costs a set intersection.

    Joining services to workloads pairwise is quadratic in a large namespace; this keeps
    it proportional to the selected items.
    """

    def __init__(self, items: Iterable[tuple[T, Mapping[str, str]]]) -> None:
        self._items: list[T] = []
        self._by_pair: dict[tuple[str, str], set[int]] = defaultdict(set)
        for position, (item, labels) in enumerate(items):
            self._items.append(item)
            for pair in labels.items():
                self._by_pair[pair].add(position)

    def select(self, required: Mapping[str, str]) -> list[T]:
        """Items whose labels include every required pair; all items for an empty requirement."""
        if not required:
            return list(self._items)
        candidates: set[int] | None = None
        for pair in sorted(required.items(), key=lambda p: len(self._by_pair.get(p, ()))):
            found = self._by_pair.get(pair)
            if not found:
                return []
            candidates = set(found) if candidates is None else candidates & found
            if not candidates:
                return []
        return [self._items[i] for i in sorted(candidates or ())]
