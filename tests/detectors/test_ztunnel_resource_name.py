from tests.support import run_detector

ZTUNNEL = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ambient-ztunnel, namespace: istio-system}
spec:
  template:
    metadata: {labels: {app: ztunnel}}
    spec:
      containers: [{name: istio-proxy, image: docker.io/istio/ztunnel:1.25.2}]
"""


def test_release_named_ztunnel_is_reported() -> None:
    hits = run_detector("ztunnel_resource_name", ZTUNNEL)
    assert [str(h.resource) for h in hits] == ["DaemonSet istio-system/ambient-ztunnel"]


def test_static_name_is_not_reported() -> None:
    assert run_detector("ztunnel_resource_name", ZTUNNEL.replace("ambient-ztunnel", "ztunnel")) == []


def test_pinned_resource_name_is_not_reported() -> None:
    values = """
---
apiVersion: preflight/v1
kind: HelmValues
metadata: {name: ztunnel, namespace: istio-system}
values: {resourceName: ambient-ztunnel}
"""
    assert run_detector("ztunnel_resource_name", ZTUNNEL + values) == []
