import pytest

from tests.support import run_detector


def rule(export_to: str) -> str:
    return f"""
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: api, namespace: shop}}
spec:
  host: api.shop.svc.cluster.local
  exportTo: {export_to}
  trafficPolicy: {{tls: {{mode: ISTIO_MUTUAL}}}}
"""


def test_own_namespace_with_others_is_reported() -> None:
    hits = run_detector("destination_rule_export_to_own_namespace", rule('["shop", "frontend"]'))
    assert len(hits) == 1 and "now also applies to clients in frontend" in hits[0].message


def test_own_namespace_with_everywhere_is_reported() -> None:
    hits = run_detector("destination_rule_export_to_own_namespace", rule('["shop", "*"]'))
    assert len(hits) == 1 and "clients in every namespace" in hits[0].message


@pytest.mark.parametrize("export_to", ['["shop"]', '[".", "frontend"]', '["frontend"]', "[]"])
def test_lists_read_as_written_before_are_not_reported(export_to: str) -> None:
    assert run_detector("destination_rule_export_to_own_namespace", rule(export_to)) == []
