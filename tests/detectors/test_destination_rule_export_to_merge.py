from tests.support import run_detector


def rule(name: str, namespace: str, host: str, export_to: str = "") -> str:
    return f"""
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  host: {host}
  {export_to}
"""


def test_rules_with_disjoint_export_to_are_reported() -> None:
    text = rule("reviews-shop", "shop", "reviews.shop.svc.cluster.local", 'exportTo: ["."]') + rule(
        "reviews-team", "team", "reviews.shop.svc.cluster.local", 'exportTo: ["team", "ops"]'
    )
    hits = run_detector("destination_rule_export_to_merge", text)
    assert sorted(h.resource.name for h in hits) == ["reviews-shop", "reviews-team"]


def test_rules_exported_everywhere_still_merge() -> None:
    text = rule("reviews-shop", "shop", "reviews") + rule(
        "reviews-team", "team", "reviews.shop.svc.cluster.local", 'exportTo: ["team"]'
    )
    assert run_detector("destination_rule_export_to_merge", text) == []
