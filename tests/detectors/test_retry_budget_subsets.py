from tests.support import run_detector


def rule(top: str, subsets: str) -> str:
    return f"""
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: api, namespace: shop}}
spec:
  host: api.shop.svc.cluster.local
  trafficPolicy: {top}
  subsets: {subsets}
"""


BUDGET = "{retryBudget: {percent: {value: 10}}}"


def test_subset_with_its_own_policy_gains_the_rules_budget() -> None:
    text = rule(BUDGET, "[{name: v1, labels: {v: '1'}, trafficPolicy: {connectionPool: {http: {maxRetries: 5}}}}]")
    hits = run_detector("retry_budget_subsets", text)
    assert len(hits) == 1 and "v1 (the rule's retryBudget)" in hits[0].message


def test_subset_budget_is_reported_even_without_a_top_level_one() -> None:
    text = rule("{}", f"[{{name: v2, labels: {{v: '2'}}, trafficPolicy: {BUDGET}}}]")
    hits = run_detector("retry_budget_subsets", text)
    assert len(hits) == 1 and "v2 (its own retryBudget)" in hits[0].message


def test_subsets_that_inherit_the_whole_policy_or_no_budget_are_not_reported() -> None:
    assert run_detector("retry_budget_subsets", rule(BUDGET, "[{name: v1, labels: {v: '1'}}]")) == []
    plain = rule("{connectionPool: {http: {maxRetries: 3}}}", "[{name: v1, trafficPolicy: {tls: {mode: SIMPLE}}}]")
    assert run_detector("retry_budget_subsets", plain) == []
