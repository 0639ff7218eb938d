from tests.support import run_detector


def envoy_filter(apply_to: str) -> str:
    return f"""
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {{name: tweak, namespace: istio-system}}
spec:
  configPatches:
  - applyTo: {apply_to}
    patch: {{operation: MERGE, value: {{}}}}
"""


def test_bootstrap_patches_are_reported() -> None:
    hits = run_detector("envoy_filter_apply_to", envoy_filter("BOOTSTRAP"), {"targets": ["BOOTSTRAP"]})
    assert [str(h.resource) for h in hits] == ["EnvoyFilter istio-system/tweak"]


def test_other_patches_are_not() -> None:
    assert run_detector("envoy_filter_apply_to", envoy_filter("HTTP_FILTER"), {"targets": ["BOOTSTRAP"]}) == []
