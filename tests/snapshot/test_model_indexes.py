"""The Snapshot's label indexes answer exactly what testing every Service against every Pod would."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from preflight.istio.selectors import matches_labels
from preflight.snapshot.interface import ServiceRef, Workload, string_map
from preflight.snapshot.model import Snapshot
from tests.support import snapshot_from_yaml

_NAMESPACES = st.sampled_from(["shop", "pay"])
# Few keys and values, so generated selectors pick some pods and miss others.
_LABELS = st.dictionaries(st.sampled_from(["app", "version", "tier"]), st.sampled_from(["a", "b"]), max_size=3)


def _pod(number: int, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{number}", "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "example/app:1"}]},
    }


def _service(number: int, namespace: str, selector: dict[str, str] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"ports": [{"port": 80}]}
    if selector is not None:
        spec["selector"] = selector
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"svc-{number}", "namespace": namespace},
        "spec": spec,
    }


def _scanned_services_of_pod(snapshot: Snapshot, pod: Workload) -> tuple[ServiceRef, ...]:
    found = []
    for service in snapshot.services_by_namespace.get(pod.namespace, ()):
        selector = string_map(snapshot.services[service].spec.get("selector"))
        if selector and matches_labels(selector, pod.pod_labels):
            found.append(service)
    return tuple(sorted(found))


@settings(max_examples=150, deadline=None)
@given(
    pods=st.lists(st.tuples(_NAMESPACES, _LABELS), max_size=8),
    services=st.lists(st.tuples(_NAMESPACES, st.one_of(st.none(), _LABELS)), max_size=6),
)
def test_services_of_pod_match_a_scan_of_every_service(
    pods: list[tuple[str, dict[str, str]]], services: list[tuple[str, dict[str, str] | None]]
) -> None:
    documents = [_pod(n, ns, labels) for n, (ns, labels) in enumerate(pods)]
    documents += [_service(n, ns, selector) for n, (ns, selector) in enumerate(services)]
    snapshot = snapshot_from_yaml("\n---\n".join(json.dumps(d) for d in documents) or "{}")
    assert len(snapshot.pods) == len(pods)
    for pod in snapshot.pods:
        assert snapshot.services_of_pod(pod) == _scanned_services_of_pod(snapshot, pod)


def test_a_pod_in_two_services_lists_both_and_a_selector_less_service_none() -> None:
    documents = [
        _pod(0, "shop", {"app": "web", "version": "v1"}),
        _service(0, "shop", {"app": "web"}),
        _service(1, "shop", {"app": "web", "version": "v1"}),
        _service(2, "shop", None),
        _service(3, "pay", {"app": "web"}),
    ]
    snapshot = snapshot_from_yaml("\n---\n".join(json.dumps(d) for d in documents))
    (pod,) = snapshot.pods
    assert [str(s) for s in snapshot.services_of_pod(pod)] == ["shop/svc-0", "shop/svc-1"]


_ANNOTATION_KEYS = st.sampled_from(["a.io/x", "a.io/y", "b.io/z"])


@settings(max_examples=150, deadline=None)
@given(
    objects=st.lists(
        st.tuples(
            st.sampled_from(["Service", "ConfigMap", "Namespace"]),
            st.dictionaries(_ANNOTATION_KEYS, st.one_of(st.none(), st.sampled_from(["", "1", "on"])), max_size=3),
        ),
        max_size=8,
    ),
    keys=st.lists(_ANNOTATION_KEYS, max_size=3),
)
def test_annotated_with_matches_a_scan_of_every_object(
    objects: list[tuple[str, dict[str, str | None]]], keys: list[str]
) -> None:
    documents = [
        {"apiVersion": "v1", "kind": kind, "metadata": {"name": f"o-{n}", "namespace": "shop", "annotations": notes}}
        for n, (kind, notes) in enumerate(objects)
    ]
    snapshot = snapshot_from_yaml("\n---\n".join(json.dumps(d) for d in documents) or "{}")
    expected = [obj for obj in snapshot.objects if any(key in obj.annotations for key in keys)]
    assert snapshot.annotated_with(keys) == expected
