from tests.support import run_detector

LEGACY = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: istiod-reader-istio-system, labels: {helm.sh/chart: base-1.28.1}}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring-reads-istio}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: istiod-reader-istio-system}
subjects: [{kind: ServiceAccount, name: exporter, namespace: monitoring}]
"""


def test_legacy_role_and_its_custom_binding_are_reported() -> None:
    hits = run_detector("legacy_base_chart_rbac", LEGACY)
    assert sorted(str(h.resource) for h in hits) == [
        "ClusterRole istiod-reader-istio-system",
        "ClusterRoleBinding monitoring-reads-istio",
    ]


def test_new_names_are_not_reported() -> None:
    text = LEGACY.replace("istiod-reader-istio-system", "istio-reader-clusterrole-istio-system")
    assert run_detector("legacy_base_chart_rbac", text) == []
