from tests.support import run_detector

TEXT = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api:1}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: trial-deny, namespace: shop, annotations: {istio.io/dry-run: "true"}}
spec:
  action: DENY
  rules: [{from: [{source: {namespaces: [legacy]}}]}]
---
apiVersion: preflight/v1
kind: HelmValues
metadata: {name: istiod, namespace: istio-system}
values: {pilot: {env: {AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY: "%s"}}}
"""


def test_dry_run_policy_reported_when_flag_is_on() -> None:
    hits = run_detector("ambient_dry_run_policies", TEXT % "true")
    assert [str(h.resource) for h in hits] == ["AuthorizationPolicy shop/trial-deny"]


def test_nothing_when_flag_is_off() -> None:
    assert run_detector("ambient_dry_run_policies", TEXT % "false") == []
