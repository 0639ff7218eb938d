from tests.support import run_detector

TEXT = """
apiVersion: v1
kind: Namespace
metadata: {name: batch, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: batch}
spec:
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers: [{name: worker, image: worker:1}]
---
apiVersion: preflight/v1
kind: HelmValues
metadata: {name: istio-cni, namespace: istio-system}
values: {excludeNamespaces: [kube-system, %s]}
"""


def test_ambient_workload_in_excluded_namespace_is_reported() -> None:
    hits = run_detector("cni_excluded_ambient_namespaces", TEXT % "batch")
    assert [str(h.resource) for h in hits] == ["Deployment batch/worker"]


def test_not_excluded_namespace_is_fine() -> None:
    assert run_detector("cni_excluded_ambient_namespaces", TEXT % "other") == []
