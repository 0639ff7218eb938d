from tests.support import run_detector

RULE = """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api, namespace: shop}
spec:
  host: api
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 5%s}
"""
PARAMS = {"fields": ["outlierDetection"], "missing": ["outlierDetection.minHealthPercent"]}


def test_outlier_detection_without_min_health_is_reported() -> None:
    assert len(run_detector("destination_rule_policy_field", RULE % "", PARAMS)) == 1


def test_min_health_percent_set_is_not_reported() -> None:
    assert run_detector("destination_rule_policy_field", RULE % ", minHealthPercent: 50", PARAMS) == []


def test_subset_policy_counts() -> None:
    text = """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api, namespace: shop}
spec:
  host: api
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy: {connectionPool: {tcp: {maxConnections: 10}}}
"""
    hits = run_detector("destination_rule_policy_field", text, {"fields": ["connectionPool"]})
    assert "subset v1" in hits[0].message
