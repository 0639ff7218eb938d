from tests.support import INJECTED, documents, namespace, run_detector, workload

# shop is in the mesh (cart, ledger); legacy is not (reports).
MESH = documents(
    namespace("shop", INJECTED),
    namespace("legacy"),
    workload("cart", "shop", port=8080, service_port=8080),
    workload("ledger", "shop", port=8080, service_port=8080),
    workload("reports", "legacy", service_port=80),
)


def _with(policies: str) -> str:
    return MESH + "---\n" + policies


def _services(hits: list) -> list[list[str]]:  # type: ignore[type-arg]
    return [[str(s) for s in h.services or ()] for h in hits]


def test_selector_policy_reports_selected_service_and_its_callers() -> None:
    hits = run_detector(
        "authorization_allow_policies",
        _with(
            """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: cart-callers, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  action: ALLOW
  rules:
  - from:
    - source: {principals: [cluster.local/ns/shop/sa/frontend]}
    - source: {namespaces: [ops], ipBlocks: [10.8.0.0/16]}
  - to: [{operation: {paths: [/healthz]}}]
"""
        ),
    )
    assert _services(hits) == [["shop/cart"]]
    message = hits[0].message
    assert "principal cluster.local/ns/shop/sa/frontend" in message
    assert "namespace ops and ipBlock 10.8.0.0/16" in message
    assert "any caller" in message


def test_policy_without_action_is_allow_and_namespace_wide_without_selector() -> None:
    hits = run_detector(
        "authorization_allow_policies",
        _with(
            """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-nothing, namespace: shop}
spec: {}
"""
        ),
    )
    assert _services(hits) == [["shop/cart", "shop/ledger"]]
    assert "nobody" in hits[0].message


def test_root_namespace_policy_applies_mesh_wide_but_not_to_unmeshed_workloads() -> None:
    hits = run_detector(
        "authorization_allow_policies",
        _with(
            """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: mesh-allow, namespace: istio-system}
spec:
  rules: [{from: [{source: {namespaces: [shop]}}]}]
"""
        ),
    )
    # legacy/reports has no sidecar: it enforces nothing.
    assert _services(hits) == [["shop/cart", "shop/ledger"]]


def test_target_ref_to_service_scopes_to_that_service() -> None:
    hits = run_detector(
        "authorization_allow_policies",
        _with(
            """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ledger-only, namespace: shop}
spec:
  targetRefs: [{kind: Service, group: "", name: ledger}]
  rules: [{}]
"""
        ),
    )
    assert _services(hits) == [["shop/ledger"]]


def test_deny_audit_custom_policies_are_not_reported() -> None:
    hits = run_detector(
        "authorization_allow_policies",
        _with(
            """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: block-legacy, namespace: shop}
spec:
  action: DENY
  rules: [{from: [{source: {namespaces: [legacy]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: audit, namespace: shop}
spec:
  action: AUDIT
  rules: [{}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, namespace: shop}
spec:
  action: CUSTOM
  provider: {name: opa}
  rules: [{}]
"""
        ),
    )
    assert hits == []


def test_dry_run_policy_does_not_decide_but_is_named_next_to_enforced_ones() -> None:
    dry_run_only = run_detector(
        "authorization_allow_policies",
        _with(
            """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: trial
  namespace: shop
  annotations: {istio.io/dry-run: "true"}
spec:
  selector: {matchLabels: {app: cart}}
  rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/frontend]}}]}]
"""
        ),
    )
    assert dry_run_only == []
    both = run_detector(
        "authorization_allow_policies",
        _with(
            """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: trial
  namespace: shop
  annotations: {istio.io/dry-run: "true"}
spec:
  selector: {matchLabels: {app: cart}}
  rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/frontend]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: enforced, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  rules: [{from: [{source: {namespaces: [shop]}}]}]
"""
        ),
    )
    assert [str(h.resource) for h in both] == ["AuthorizationPolicy shop/enforced"]
    assert both[0].details["dry_run_policies_not_deciding"] == "shop/trial"


def test_policy_selecting_no_workload_is_not_reported() -> None:
    hits = run_detector(
        "authorization_allow_policies",
        _with(
            """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: stale, namespace: shop}
spec:
  selector: {matchLabels: {app: gone}}
  rules: [{}]
"""
        ),
    )
    assert hits == []


def test_policy_admitting_only_some_ports_says_what_it_admits() -> None:
    hits = run_detector(
        "authorization_allow_policies",
        _with(
            """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: health-only, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  rules: [{to: [{operation: {ports: ["8081"]}}]}]
"""
        ),
    )
    assert hits[0].message.endswith("it admits: any caller to ports 8081")
    assert hits[0].details["allowed_callers"] == "any caller to ports 8081"
