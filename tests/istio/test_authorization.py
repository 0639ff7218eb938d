from preflight.istio.authorization import (
    ANY_CALLER,
    allowed_callers,
    is_dry_run,
    is_enforced_allow,
    policy_action,
)
from tests.support import snapshot_from_yaml


def _policy(text: str):  # type: ignore[no-untyped-def]
    return snapshot_from_yaml(text).of_kind("AuthorizationPolicy")[0]


def test_action_defaults_to_allow() -> None:
    policy = _policy("""
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: p, namespace: a}
    spec: {}
    """)
    assert policy_action(policy) == "ALLOW"
    assert is_enforced_allow(policy)
    assert allowed_callers(policy) == ()


def test_dry_run_annotation_is_not_enforced() -> None:
    policy = _policy("""
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: p, namespace: a, annotations: {istio.io/dry-run: "True"}}
    spec: {action: ALLOW, rules: [{}]}
    """)
    assert is_dry_run(policy)
    assert not is_enforced_allow(policy)


def test_sources_are_described_and_deduplicated() -> None:
    policy = _policy("""
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: p, namespace: a}
    spec:
      rules:
      - from: [{source: {notNamespaces: [dev]}}, {source: {}}]
      - {}
      - from: [{source: {requestPrincipals: ["issuer/*"]}}]
    """)
    assert allowed_callers(policy) == ("not namespace dev", ANY_CALLER, "request principal issuer/*")


def test_a_rule_that_admits_only_some_ports_says_so() -> None:
    # The policy the report printed as "admits: any caller": rules without `from` that name ports.
    policy = _policy("""
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: metrics-only, namespace: a}
    spec:
      rules:
      - to: [{operation: {ports: ["15020", "9090"]}}]
      - from: [{source: {namespaces: [shop]}}]
        to: [{operation: {methods: [GET], paths: ["/api/*"]}}, {operation: {ports: ["8443"]}}]
        when: [{key: source.ip, values: [10.0.0.0/8]}, {key: "request.headers[x-env]", notValues: [dev]}]
    """)
    assert allowed_callers(policy) == (
        "any caller to ports 15020, 9090",
        "namespace shop to methods GET and paths /api/* or ports 8443 when source.ip in 10.0.0.0/8 and "
        "request.headers[x-env] not in dev",
    )


def test_an_operation_without_fields_admits_every_request() -> None:
    policy = _policy("""
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: p, namespace: a}
    spec:
      rules: [{to: [{operation: {ports: ["8080"]}}, {operation: {}}]}]
    """)
    assert allowed_callers(policy) == (ANY_CALLER,)
