from tests.support import run_detector

POLICY = """
apiVersion: gateway.networking.k8s.io/v1alpha3
kind: BackendTLSPolicy
metadata: {name: tls, namespace: shop}
spec:
  targetRefs: [{group: "", kind: Service, name: api}]
"""


def test_api_version_in_use_hit_and_miss() -> None:
    params = {"kinds": ["BackendTLSPolicy"], "api_versions": ["gateway.networking.k8s.io/v1alpha3"]}
    assert len(run_detector("api_version_in_use", POLICY, params)) == 1
    assert run_detector("api_version_in_use", POLICY.replace("v1alpha3", "v1"), params) == []


def test_api_version_group_prefix() -> None:
    pool = """
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferencePool
metadata: {name: llm, namespace: ai}
spec: {}
"""
    params = {"kinds": ["InferencePool"], "api_versions": ["inference.networking.x-k8s.io/"]}
    assert len(run_detector("api_version_in_use", pool, params)) == 1
