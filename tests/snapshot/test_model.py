from tests.support import snapshot_from_yaml

CLUSTER = """
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}}
---
apiVersion: v1
kind: Service
metadata: {name: manual, namespace: shop}
spec: {}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api-v1, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api, version: v1}}
    spec: {containers: [{name: api}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-v1-5d8f
  namespace: shop
  ownerReferences: [{kind: Deployment, name: api-v1}]
spec:
  template:
    metadata: {labels: {app: api, version: v1}}
    spec: {containers: [{name: api}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-v1-5d8f-abcde
  namespace: shop
  labels: {app: api, version: v1, pod-template-hash: 5d8f}
  ownerReferences: [{kind: ReplicaSet, name: api-v1-5d8f}]
spec: {containers: [{name: api}]}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop, labels: {app: debug}}
spec: {containers: [{name: sh}]}
"""


def test_owned_replicasets_and_pods_are_not_separate_workloads() -> None:
    snapshot = snapshot_from_yaml(CLUSTER)
    assert sorted(str(w.ref) for w in snapshot.workloads) == ["Deployment shop/api-v1", "Pod shop/debug"]


def test_service_selects_workloads_by_pod_template_labels() -> None:
    snapshot = snapshot_from_yaml(CLUSTER)
    service = next(s for s in snapshot.services if s.name == "api")
    assert [str(w.ref) for w in snapshot.workloads_of_service(service)] == ["Deployment shop/api-v1"]


def test_service_without_selector_selects_nothing() -> None:
    snapshot = snapshot_from_yaml(CLUSTER)
    manual = next(s for s in snapshot.services if s.name == "manual")
    assert snapshot.workloads_of_service(manual) == []


def test_workload_knows_its_services() -> None:
    snapshot = snapshot_from_yaml(CLUSTER)
    workload = next(w for w in snapshot.workloads if w.ref.name == "api-v1")
    assert [str(s) for s in snapshot.services_of_workload(workload)] == ["shop/api"]


def test_pods_of_a_deployment_are_not_workloads_even_without_the_template_hash_label() -> None:
    snapshot = snapshot_from_yaml(
        """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec: {template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api}]}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9f8-x1
  namespace: shop
  labels: {app: api}
  ownerReferences: [{kind: ReplicaSet, name: api-7d9f8}]
spec: {containers: [{name: api}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: other-5c-x1
  namespace: shop
  ownerReferences: [{kind: ReplicaSet, name: other-5c}]
spec: {containers: [{name: other}]}
"""
    )
    assert sorted(str(w.ref) for w in snapshot.workloads) == ["Deployment shop/api", "Pod shop/other-5c-x1"]
