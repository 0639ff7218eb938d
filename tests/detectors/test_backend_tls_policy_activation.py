from tests.support import istiod, run_detector

POLICY = """
apiVersion: gateway.networking.k8s.io/{version}
kind: BackendTLSPolicy
metadata: {{name: api-tls, namespace: shop}}
spec:
  targetRefs: [{{group: "", kind: Service, name: api}}]
  validation: {{hostname: api.shop.example}}
"""
ISTIOD_WITH_ALPHA = istiod("1.27.1", env={"PILOT_ENABLE_ALPHA_GATEWAY_API": "true"})


def test_alpha_policy_stops_applying() -> None:
    hits = run_detector("backend_tls_policy_activation", POLICY.format(version="v1alpha3"))
    assert "stop applying" in hits[0].message
    assert [str(s) for s in hits[0].services or ()] == ["shop/api"]


def test_v1_policy_starts_applying_without_alpha_flag() -> None:
    hits = run_detector("backend_tls_policy_activation", POLICY.format(version="v1"))
    assert "now applies" in hits[0].message


def test_v1_policy_already_read_with_alpha_flag() -> None:
    assert run_detector("backend_tls_policy_activation", POLICY.format(version="v1") + ISTIOD_WITH_ALPHA) == []
