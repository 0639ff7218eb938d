"""AuthorizationPolicy evaluation, one test per documented behaviour."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from preflight.istio.authz import (
    Decision,
    Enforcer,
    Policy,
    PolicySet,
    Request,
    _CompiledPolicy,
    evaluate,
    path_matches,
)
from preflight.istio.cluster import build_cluster
from preflight.snapshot.interface import K8sObject, ObjectRef, ServiceRef, SourceRef
from tests.support import snapshot_from_yaml

CHECKOUT = "cluster.local/ns/shop/sa/checkout"
HTTP_FROM_CHECKOUT = Request(http=True, mtls=True, principal=CHECKOUT, port=8080, method="GET", path="/api/v1")
TCP_FROM_CHECKOUT = Request(http=False, mtls=True, principal=CHECKOUT, port=8080)


def policy(
    text: str, name: str = "p", namespace: str = "payments", annotations: dict[str, str] | None = None
) -> Policy:
    spec = yaml.safe_load(textwrap.dedent(text)) or {}
    body = {"metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}}, "spec": spec}
    return Policy.from_object(
        K8sObject(ObjectRef("AuthorizationPolicy", namespace, name), body, SourceRef("fixture.yaml", 1))
    )


def allow_checkout(name: str = "allow-checkout") -> Policy:
    return policy(
        """
        action: ALLOW
        rules:
        - from: [{source: {principals: ["cluster.local/ns/shop/sa/checkout"]}}]
        """,
        name,
    )


def test_no_policy_allows_by_default() -> None:
    assert evaluate([], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW


def test_allow_policy_matching_the_caller_allows_and_names_rule() -> None:
    decision = evaluate([allow_checkout()], HTTP_FROM_CHECKOUT)
    assert decision.decision is Decision.ALLOW
    assert decision.policy_name == "payments/allow-checkout" and decision.rule == 0


def test_implicit_deny_when_allow_policies_select_workload_and_none_matches() -> None:
    other = Request(http=True, mtls=True, principal="cluster.local/ns/shop/sa/cart", port=8080)
    decision = evaluate([allow_checkout()], other)
    assert decision.decision is Decision.DENY
    assert decision.policy is None
    assert "implicit deny" in decision.reasons[0]
    assert any("sa/checkout" in reason for reason in decision.reasons)


def test_allow_policy_without_rules_denies_everything() -> None:
    assert evaluate([policy("action: ALLOW")], HTTP_FROM_CHECKOUT).decision is Decision.DENY


def test_rule_without_fields_matches_everything() -> None:
    assert evaluate([policy("rules: [{}]")], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW


def test_deny_policy_without_rules_denies_nothing() -> None:
    assert evaluate([policy("action: DENY")], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW


def test_deny_policy_is_evaluated_before_allow() -> None:
    deny = policy(
        """
        action: DENY
        rules: [{to: [{operation: {paths: ["/api/*"]}}]}]
        """,
        "deny-api",
    )
    decision = evaluate([allow_checkout(), deny], HTTP_FROM_CHECKOUT)
    assert decision.decision is Decision.DENY
    assert decision.policy_name == "payments/deny-api"


def test_custom_policy_is_evaluated_first_and_its_answer_is_unknown() -> None:
    custom = policy(
        """
        action: CUSTOM
        provider: {name: opa}
        rules: [{}]
        """,
        "ext",
    )
    decision = evaluate([custom], HTTP_FROM_CHECKOUT)
    assert decision.decision is Decision.UNKNOWN
    assert "opa" in decision.reasons[0]


def test_custom_policy_cannot_rescue_a_request_deny_policy_denies() -> None:
    custom = policy("action: CUSTOM\nprovider: {name: opa}\nrules: [{}]", "ext")
    deny = policy("action: DENY\nrules: [{}]", "deny-all")
    assert evaluate([custom, deny], HTTP_FROM_CHECKOUT).decision is Decision.DENY


def test_audit_policy_has_no_effect() -> None:
    audit = policy("action: AUDIT\nrules: [{}]", "audit")
    assert evaluate([audit], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW
    assert evaluate([audit, allow_checkout()], HTTP_FROM_CHECKOUT).policy_name == "payments/allow-checkout"


def test_dry_run_policy_does_not_decide() -> None:
    dry = policy("action: DENY\nrules: [{}]", "shadow", annotations={"istio.io/dry-run": "true"})
    decision = evaluate([dry], HTTP_FROM_CHECKOUT)
    assert decision.decision is Decision.ALLOW
    assert decision.dry_run and "payments/shadow" in decision.dry_run[0]


def test_allow_policy_with_http_fields_never_matches_tcp_traffic() -> None:
    allow_get = policy(
        """
        rules:
        - from: [{source: {principals: ["cluster.local/ns/shop/sa/checkout"]}}]
          to: [{operation: {methods: ["GET"]}}]
        """
    )
    assert evaluate([allow_get], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW
    decision = evaluate([allow_get], TCP_FROM_CHECKOUT)
    assert decision.decision is Decision.DENY
    assert any("HTTP-only" in reason for reason in decision.reasons)


def test_deny_policy_drops_http_only_fields_for_tcp_and_denies_more() -> None:
    deny_post = policy("action: DENY\nrules: [{to: [{operation: {methods: [POST]}}]}]", "deny-post")
    assert evaluate([deny_post], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW  # a GET
    decision = evaluate([deny_post], TCP_FROM_CHECKOUT)
    assert decision.decision is Decision.DENY
    # The reason says the listed methods were not what matched (istio.io, "Configure DENY
    # authorization policy for a TCP workload": the HTTP-only fields are ignored on TCP).
    assert decision.reasons == (
        "DENY policy payments/deny-post rule 0 matches"
        " (its methods cannot apply to TCP traffic, so it matches without them)",
    )


def test_deny_rule_matching_on_its_own_fields_reports_nothing_ignored() -> None:
    deny_get = policy("action: DENY\nrules: [{to: [{operation: {methods: [GET]}}]}]", "deny-get")
    assert evaluate([deny_get], HTTP_FROM_CHECKOUT).reasons == ("DENY policy payments/deny-get rule 0 matches",)


def test_one_rule_matched_at_two_proxies_reports_what_each_ignored() -> None:
    # The same compiled policy meets an HTTP request at a sidecar and one at a ztunnel; the
    # match of rule 0 is shared per rule, and must not carry one proxy's note to the other.
    deny_admin = policy('action: DENY\nrules: [{to: [{operation: {paths: ["/admin/*"]}}]}]', "deny-admin")
    policies = PolicySet.of([deny_admin])
    at_sidecar = replace(HTTP_FROM_CHECKOUT, path="/admin/users")
    at_ztunnel = replace(HTTP_FROM_CHECKOUT, path=None, enforcer=Enforcer.ZTUNNEL)
    assert policies.evaluate(at_sidecar).reasons == ("DENY policy payments/deny-admin rule 0 matches",)
    assert policies.evaluate(at_ztunnel).reasons == (
        "DENY policy payments/deny-admin rule 0 matches (ztunnel cannot enforce its paths, so it matches without them)",
    )
    assert policies.evaluate(at_sidecar).reasons == ("DENY policy payments/deny-admin rule 0 matches",)


def test_principal_absent_without_mtls() -> None:
    plaintext = Request(http=True, mtls=False, port=8080)
    decision = evaluate([allow_checkout()], plaintext)
    assert decision.decision is Decision.DENY
    assert any("without mTLS" in reason for reason in decision.reasons)


def test_any_principal_requires_an_authenticated_caller() -> None:
    any_peer = policy('rules: [{from: [{source: {principals: ["*"]}}]}]')
    assert evaluate([any_peer], Request(http=True, mtls=False)).decision is Decision.DENY
    assert evaluate([any_peer], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW


def test_not_principals_matches_plaintext_caller() -> None:
    deny_not_checkout = policy(
        'action: DENY\nrules: [{from: [{source: {notPrincipals: ["cluster.local/ns/shop/sa/checkout"]}}]}]'
    )
    assert evaluate([deny_not_checkout], Request(http=True, mtls=False)).decision is Decision.DENY
    assert evaluate([deny_not_checkout], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW


def test_namespaces_match_the_namespace_of_the_peer_identity() -> None:
    from_shop = policy('rules: [{from: [{source: {namespaces: ["sho*"]}}]}]')
    assert evaluate([from_shop], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW
    other = Request(http=True, mtls=True, principal="cluster.local/ns/batch/sa/job")
    assert evaluate([from_shop], other).decision is Decision.DENY
    assert evaluate([from_shop], Request(http=True, mtls=False)).decision is Decision.DENY


def test_principal_prefix_and_suffix_wildcards() -> None:
    suffix = policy('rules: [{from: [{source: {principals: ["*/sa/checkout"]}}]}]')
    prefix = policy('rules: [{from: [{source: {principals: ["cluster.local/ns/shop/*"]}}]}]')
    assert evaluate([suffix], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW
    assert evaluate([prefix], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW


def test_unknown_caller_identity_makes_identity_rules_unknown() -> None:
    unknown = Request(http=True, mtls=True, principal=None, port=8080)
    assert evaluate([allow_checkout()], unknown).decision is Decision.UNKNOWN


def test_ip_blocks_cannot_be_evaluated_from_traffic_data() -> None:
    by_ip = policy('rules: [{from: [{source: {ipBlocks: ["10.0.0.0/8"]}}]}]')
    assert evaluate([by_ip], HTTP_FROM_CHECKOUT).decision is Decision.UNKNOWN


def test_a_known_mismatch_settles_a_rule_with_unknown_parts() -> None:
    both = policy(
        """
        rules:
        - from: [{source: {ipBlocks: ["10.0.0.0/8"], principals: ["cluster.local/ns/x/sa/y"]}}]
        """
    )
    assert evaluate([both], HTTP_FROM_CHECKOUT).decision is Decision.DENY


def test_when_condition_on_jwt_claims_makes_decision_unknown() -> None:
    claims = policy(
        """
        rules:
        - when: [{key: "request.auth.claims[groups]", values: ["admins"]}]
        """
    )
    decision = evaluate([claims], HTTP_FROM_CHECKOUT)
    assert decision.decision is Decision.UNKNOWN
    assert any("request.auth.claims" in reason for reason in decision.reasons)


def test_when_conditions_on_source_namespace_and_port_are_evaluated() -> None:
    conditions = policy(
        """
        rules:
        - when:
          - {key: source.namespace, values: [shop]}
          - {key: destination.port, notValues: ["9090"]}
        """
    )
    assert evaluate([conditions], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW
    on_9090 = Request(http=True, mtls=True, principal=CHECKOUT, port=9090)
    assert evaluate([conditions], on_9090).decision is Decision.DENY


def test_ports_and_not_ports() -> None:
    only_8080 = policy('rules: [{to: [{operation: {ports: ["8080"]}}]}]')
    assert evaluate([only_8080], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW
    assert evaluate([only_8080], Request(http=True, mtls=True, principal=CHECKOUT, port=9000)).decision is (
        Decision.DENY
    )
    not_8080 = policy('rules: [{to: [{operation: {notPorts: ["8080"]}}]}]')
    assert evaluate([not_8080], HTTP_FROM_CHECKOUT).decision is Decision.DENY


def test_methods_and_paths_need_the_request_to_be_known() -> None:
    get_only = policy('rules: [{to: [{operation: {methods: ["GET"]}}]}]')
    assert evaluate([get_only], Request(http=True, mtls=True, principal=CHECKOUT)).decision is Decision.UNKNOWN


def test_sources_in_one_from_list_are_alternatives() -> None:
    either = policy(
        """
        rules:
        - from:
          - source: {principals: ["cluster.local/ns/x/sa/y"]}
          - source: {namespaces: ["shop"]}
        """
    )
    assert evaluate([either], HTTP_FROM_CHECKOUT).decision is Decision.ALLOW


def test_path_prefix_suffix_presence_and_templates() -> None:
    assert path_matches("/api/*", "/api/v1")
    assert path_matches("*.html", "/index.html")
    assert path_matches("*", "/anything")
    assert path_matches("/api/v1", "/api/v1?x=1")
    assert not path_matches("/api/v1", "/api/v2")
    assert path_matches("/users/{*}/orders", "/users/42/orders")
    assert not path_matches("/users/{*}/orders", "/users/42/7/orders")
    assert path_matches("/files/{**}", "/files/a/b/c.txt")
    assert not path_matches("/files/{**}", "/other/a")


def test_host_match_ignores_case() -> None:
    by_host = policy('rules: [{to: [{operation: {hosts: ["API.example.com"]}}]}]')
    request = Request(http=True, mtls=True, principal=CHECKOUT, host="api.EXAMPLE.com")
    assert evaluate([by_host], request).decision is Decision.ALLOW


def test_ztunnel_allow_rule_with_l7_attributes_never_matches() -> None:
    allow_get = policy('rules: [{from: [{source: {namespaces: [shop]}}], to: [{operation: {methods: [GET]}}]}]')
    at_ztunnel = Request(http=True, mtls=True, principal=CHECKOUT, port=8080, method="GET",
                         enforcer=Enforcer.ZTUNNEL)
    decision = evaluate([allow_get], at_ztunnel)
    assert decision.decision is Decision.DENY
    assert any("ztunnel" in reason for reason in decision.reasons)


def test_ztunnel_deny_rule_drops_l7_attributes_and_denies_more() -> None:
    deny_post = policy("action: DENY\nrules: [{to: [{operation: {methods: [POST]}}]}]")
    at_ztunnel = Request(http=True, mtls=True, principal=CHECKOUT, method="GET", enforcer=Enforcer.ZTUNNEL)
    assert evaluate([deny_post], at_ztunnel).decision is Decision.DENY


def test_ztunnel_ignores_custom_policies() -> None:
    custom = policy("action: CUSTOM\nprovider: {name: opa}\nrules: [{}]")
    at_ztunnel = Request(http=False, mtls=True, principal=CHECKOUT, enforcer=Enforcer.ZTUNNEL)
    assert evaluate([custom], at_ztunnel).decision is Decision.ALLOW


SCOPED = """
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: "rootNamespace: istio-system"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: payments}
spec:
  template:
    metadata: {labels: {app: worker}}
    spec: {containers: [{name: worker}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: web}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-only, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: whole-namespace, namespace: payments}
spec: {action: DENY}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: mesh-api, namespace: istio-system}
spec:
  selector: {matchLabels: {app: api}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: at-waypoint, namespace: payments}
spec:
  targetRefs: [{kind: Service, group: "", name: api}]
"""


def _names(policies: tuple[Policy, ...]) -> list[str]:
    return [p.name for p in policies]


def test_policy_scope_selector_namespace_and_root_namespace() -> None:
    snapshot = snapshot_from_yaml(SCOPED)
    index = build_cluster(snapshot).authorizations
    api, worker = snapshot.workloads_in("payments", {"app": "api"})[0], snapshot.workloads_in(
        "payments", {"app": "worker"}
    )[0]
    web = snapshot.workloads_in("shop")[0]
    assert _names(index.for_workload(api)) == ["istio-system/mesh-api", "payments/api-only", "payments/whole-namespace"]
    assert _names(index.for_workload(worker)) == ["payments/whole-namespace"]
    assert _names(index.for_workload(web)) == ["istio-system/mesh-api"]


def test_target_ref_to_a_service_binds_to_its_waypoint_not_to_sidecars() -> None:
    snapshot = snapshot_from_yaml(SCOPED)
    index = build_cluster(snapshot).authorizations
    from preflight.snapshot.interface import ServiceRef

    assert _names(index.for_service(ServiceRef("payments", "api"))) == ["payments/at-waypoint"]
    api = snapshot.workloads_in("payments", {"app": "api"})[0]
    assert "payments/at-waypoint" not in _names(index.for_workload(api))


def test_field_named_not_is_an_unknowable_field_not_a_crash() -> None:
    odd = policy("action: DENY\nrules: [{to: [{operation: {not: [x]}}]}]")
    decision = evaluate([odd], HTTP_FROM_CHECKOUT)
    assert decision.decision is Decision.UNKNOWN
    assert "field not cannot be evaluated from traffic data" in decision.reasons[0]


def test_policy_set_keeps_requests_apart_on_every_attribute_a_rule_reads() -> None:
    get_only = policy('rules: [{to: [{operation: {methods: [GET], paths: ["/api/*"], ports: ["8080"]}}]}]')
    policies = PolicySet.of([get_only])
    assert policies.evaluate(HTTP_FROM_CHECKOUT).decision is Decision.ALLOW
    assert policies.evaluate(replace(HTTP_FROM_CHECKOUT, method="POST")).decision is Decision.DENY
    assert policies.evaluate(replace(HTTP_FROM_CHECKOUT, path="/admin")).decision is Decision.DENY
    assert policies.evaluate(replace(HTTP_FROM_CHECKOUT, port=9090)).decision is Decision.DENY
    assert policies.evaluate(replace(HTTP_FROM_CHECKOUT, method=None)).decision is Decision.UNKNOWN
    tcp = policies.evaluate(replace(HTTP_FROM_CHECKOUT, http=False))
    assert tcp.decision is Decision.DENY and "never matches TCP traffic" in tcp.reasons[1]
    at_ztunnel = policies.evaluate(replace(HTTP_FROM_CHECKOUT, enforcer=Enforcer.ZTUNNEL))
    assert "ztunnel cannot enforce" in at_ztunnel.reasons[1]


def test_policy_set_tells_callers_apart_only_when_a_rule_reads_the_identity() -> None:
    by_path = PolicySet.of([policy('action: DENY\nrules: [{to: [{operation: {paths: ["/admin/*"]}}]}]')])
    other = replace(HTTP_FROM_CHECKOUT, principal="cluster.local/ns/x/sa/y")
    assert by_path.evaluate(HTTP_FROM_CHECKOUT) is by_path.evaluate(other)
    by_caller = PolicySet.of([allow_checkout()])
    assert by_caller.evaluate(HTTP_FROM_CHECKOUT).decision is Decision.ALLOW
    assert by_caller.evaluate(other).decision is Decision.DENY
    plaintext = by_caller.evaluate(replace(HTTP_FROM_CHECKOUT, mtls=False, principal=None))
    assert plaintext.decision is Decision.DENY and "without mTLS" in " ".join(plaintext.reasons)
    assert by_caller.evaluate(replace(HTTP_FROM_CHECKOUT, mtls=None)).decision is Decision.UNKNOWN


def test_workloads_with_the_same_policies_share_one_compiled_set() -> None:
    snapshot = snapshot_from_yaml(SCOPED)
    index = build_cluster(snapshot).authorizations
    api = snapshot.workloads_in("payments", {"app": "api"})[0]
    worker = snapshot.workloads_in("payments", {"app": "worker"})[0]
    web = snapshot.workloads_in("shop")[0]
    assert index.policy_set_for_workload(api).policies == index.for_workload(api)
    assert index.policy_set_for_workload(worker).policies == index.for_workload(worker)
    assert index.policy_set_for_workload(web) is not index.policy_set_for_workload(worker)
    shared = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, namespace: payments}
spec:
  template:
    metadata: {labels: {app: batch}}
    spec: {containers: [{name: batch}]}
"""
    snapshot = snapshot_from_yaml(SCOPED + "---" + shared)
    index = build_cluster(snapshot).authorizations
    worker = snapshot.workloads_in("payments", {"app": "worker"})[0]
    batch = snapshot.workloads_in("payments", {"app": "batch"})[0]
    assert index.policy_set_for_workload(worker) is index.policy_set_for_workload(batch)
    assert index.policy_set_for_service(ServiceRef("payments", "nothing")).policies == ()
    own = index.compiled()  # a simulation's own sets: the same policies, shared alike, a memo of their own
    assert own.for_workload(worker) is own.for_workload(batch) is not index.policy_set_for_workload(worker)
    assert own.for_workload(worker).policies == index.for_workload(worker)
    assert own.for_workload(web := snapshot.workloads_in("shop")[0]).policies == index.for_workload(web)


GATEWAYS = """
apiVersion: v1
kind: Namespace
metadata: {name: foo}
---
apiVersion: v1
kind: Namespace
metadata: {name: bar}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: gw-istio, namespace: foo}
spec:
  template:
    metadata: {labels: {gateway.networking.k8s.io/gateway-name: gw}}
    spec: {containers: [{name: istio-proxy}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: from-bar, namespace: bar}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw, namespace: foo}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: own, namespace: foo}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-group, namespace: foo}
spec:
  targetRef: {kind: Gateway, name: gw}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: from-root, namespace: istio-system}
spec:
  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: service-elsewhere, namespace: bar}
spec:
  targetRefs: [{kind: Service, name: api, namespace: foo}]
"""


def test_gateway_target_refs_attach_in_the_policys_namespace_or_from_the_root_only() -> None:
    snapshot = snapshot_from_yaml(GATEWAYS)
    index = build_cluster(snapshot).authorizations
    gateway = snapshot.workloads_in("foo")[0]
    assert _names(index.for_workload(gateway)) == ["foo/own", "istio-system/from-root"]
    # A Service targetRef counts for the Service of the policy's own namespace, whatever it names.
    assert index.for_service(ServiceRef("foo", "api")) == ()
    assert _names(index.for_service(ServiceRef("bar", "api"))) == ["bar/service-elsewhere"]


def test_custom_policy_of_an_http_ext_authz_provider_never_sees_tcp() -> None:
    mesh = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system}
spec:
  template:
    metadata: {labels: {app: istiod}}
    spec: {containers: [{name: discovery, image: docker.io/istio/pilot:1.24.2}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    extensionProviders:
    - {name: http-authz, envoyExtAuthzHttp: {service: authz.foo.svc.cluster.local, port: 8000}}
    - {name: grpc-authz, envoyExtAuthzGrpc: {service: authz.foo.svc.cluster.local, port: 9000}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: istio-proxy}]}
"""
    custom = """
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: custom, namespace: payments}
spec:
  action: CUSTOM
  provider: {name: %s}
  rules: [{to: [{operation: {paths: ["/admin"]}}]}]
"""
    for provider, tcp in (("http-authz", Decision.ALLOW), ("grpc-authz", Decision.UNKNOWN)):
        snapshot = snapshot_from_yaml(mesh + custom % provider)
        index = build_cluster(snapshot).authorizations
        api = snapshot.workloads_in("payments")[0]
        policies = index.policy_set_for_workload(api)
        assert policies.evaluate(TCP_FROM_CHECKOUT).decision is tcp, provider
        http = replace(HTTP_FROM_CHECKOUT, path="/admin")
        decided = policies.evaluate(http)
        assert decided.decision is Decision.UNKNOWN
        assert f"the external authorizer {provider} decides" in decided.reasons[0]


def test_gateway_ignores_selector_policies_when_istiod_turns_them_off() -> None:
    cluster = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system}
spec:
  template:
    metadata: {labels: {app: istiod}}
    spec:
      containers:
      - name: discovery
        image: docker.io/istio/pilot:1.24.2
        env: [{name: ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY, value: "%s"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: gw-istio, namespace: foo}
spec:
  template:
    metadata: {labels: {gateway.networking.k8s.io/gateway-name: gw}}
    spec: {containers: [{name: istio-proxy}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: foo}
spec:
  template:
    metadata: {labels: {app: app}}
    spec: {containers: [{name: istio-proxy}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: namespace-wide, namespace: foo}
spec: {action: DENY, rules: [{}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: targeted, namespace: foo}
spec:
  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
"""
    for flag, gateway_policies in (("true", ["foo/namespace-wide", "foo/targeted"]), ("false", ["foo/targeted"])):
        snapshot = snapshot_from_yaml(cluster % flag)
        index = build_cluster(snapshot).authorizations
        gateway, app = (snapshot.workloads_in("foo", {"gateway.networking.k8s.io/gateway-name": "gw"})[0],
                        snapshot.workloads_in("foo", {"app": "app"})[0])
        assert _names(index.for_workload(gateway)) == gateway_policies, flag
        assert _names(index.for_workload(app)) == ["foo/namespace-wide"], flag


def test_service_target_ref_group_may_be_empty_or_core_but_not_another_group() -> None:
    cluster = """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: core, namespace: foo}
spec:
  targetRefs: [{kind: Service, group: core, name: api}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: other-group, namespace: foo}
spec:
  targetRefs: [{kind: Service, group: example.com, name: api}]
"""
    snapshot = snapshot_from_yaml(cluster)
    index = build_cluster(snapshot).authorizations
    assert _names(index.for_service(ServiceRef("foo", "api"))) == ["foo/core"]


_SHARED_POLICIES = [
    policy(
        """
        action: ALLOW
        rules:
        - from: [{source: {principals: ["cluster.local/ns/shop/sa/checkout", "cluster.local/ns/pay/*"]}}]
          to: [{operation: {ports: ["8080"]}}]
        - from: [{source: {namespaces: ["payments"]}}]
          to: [{operation: {methods: [GET]}}]
        """,
        "allow-callers",
    ),
    policy('action: DENY\nrules: [{to: [{operation: {paths: ["/admin/*"]}}]}]', "deny-admin"),
    policy('action: ALLOW\nrules: [{from: [{source: {notNamespaces: ["shop"]}}]}]', "dry", annotations={
        "istio.io/dry-run": "true"}),
]
_CALLERS = st.sampled_from([
    None, CHECKOUT, "cluster.local/ns/shop/sa/web", "cluster.local/ns/pay/sa/api", "cluster.local/ns/payments/sa/a",
    "cluster.local/ns/payments/sa/b", "spiffe://cluster.local/ns/payments/sa/c",
])
_REQUESTS = st.builds(
    Request,
    http=st.booleans(),
    mtls=st.sampled_from([True, False, None]),
    principal=_CALLERS,
    port=st.sampled_from([None, 8080, 9090]),
    method=st.sampled_from([None, "GET", "POST"]),
    path=st.sampled_from([None, "/admin/x", "/api"]),
    enforcer=st.sampled_from(list(Enforcer)),
)


@given(st.lists(_REQUESTS, min_size=1, max_size=30))
@settings(max_examples=60, deadline=None)
def test_memoised_decisions_equal_a_fresh_evaluation_and_equal_ones_are_one_object(requests: list[Request]) -> None:
    shared = PolicySet.of(_SHARED_POLICIES)
    own = PolicySet([_CompiledPolicy(p, shared=False) for p in _SHARED_POLICIES])  # no memo of identity rules
    decided = []
    for request in requests:
        memoised = shared.evaluate(request)
        assert memoised == PolicySet.of(_SHARED_POLICIES).evaluate(request)  # a fresh set remembers nothing
        assert own.evaluate(request) == memoised
        decided.append((request.http, request.enforcer, memoised))
    for http, enforcer, first in decided:
        for other_http, other_enforcer, second in decided:
            if (http, enforcer) == (other_http, other_enforcer) and first == second:
                assert first is second
