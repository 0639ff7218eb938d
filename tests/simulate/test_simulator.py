"""The simulator, edge by edge: before vs after, with the "why" on both sides."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from preflight.formats.json_format import edges_to_json
from preflight.istio.authz import Decision
from preflight.istio.cluster import build_cluster
from preflight.istio.service_registry import WildcardServiceEntryHosts
from preflight.kb.interface import KBEntry, Mitigation, Severity, Upstream
from preflight.simulate.interface import ChangeKind, SimulationResult
from preflight.simulate.semantics import check_simulation
from preflight.simulate.simulator import findings_for_changed_edges, simulate
from preflight.traffic.interface import Destination, Edge, Mtls, Origin, Source
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml

CLUSTER = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {serviceAccountName: web, containers: [{name: web}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, namespace: legacy}
spec:
  template:
    metadata: {labels: {app: batch}}
    spec: {containers: [{name: batch}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: api
      containers: [{name: api, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: payments}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: api-alias, namespace: shop}
spec:
  type: ExternalName
  externalName: api.payments.svc.cluster.local
"""


def entry(entry_id: str, switch: str | None, severity: Severity = Severity.HIGH) -> KBEntry:
    return KBEntry(
        id=entry_id,
        introduced_in=parse_version(entry_id.split("-", 1)[0] + ".0"),
        title=entry_id,
        summary="s",
        impact="i",
        severity=severity,
        area="security",
        remediation="r",
        mitigation=Mitigation("none"),
        upstream=Upstream(),
        provenance="upstream",
        source_file="kb.yaml",
        simulation={"switch": switch} if switch else {},
    )


ALIAS = entry("1.21-externalname-alias", "externalname_alias")
IMPLICIT = replace(
    entry("1.19-authz-implicit-deny-field-report", None),
    provenance="field-report",
    caveats=("unconfirmed",),
    simulation={"watch": "allow_implicit_deny"},
)


def edge(
    source: tuple[str, str] | None = ("shop", "web"),
    service: str = "api",
    namespace: str = "payments",
    port: int = 80,
    protocol: str = "http",
    requests: int = 100,
    mtls: Mtls = Mtls.UNKNOWN,
    in_mesh: bool | None = None,
    **extra: Any,
) -> Edge:
    caller = Source(source[0], source[1], in_mesh=in_mesh) if source else Source(in_mesh=in_mesh)
    return Edge(caller, Destination(namespace, service, service_port=port), protocol, requests, mtls=mtls,
                origin=Origin.PROMETHEUS, **extra)


def run(extra_yaml: str, edges: list[Edge], entries: list[KBEntry] | None = None, **options: Any) -> SimulationResult:
    snapshot = snapshot_from_yaml(CLUSTER + ("---\n" + extra_yaml if extra_yaml else ""))
    return simulate(build_cluster(snapshot), entries or [], edges, True, **options)


ALLOW_WEB_ONLY = """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-allow, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  rules:
  - from: [{source: {principals: ["cluster.local/ns/shop/sa/web"]}}]
    to: [{operation: {ports: ["8080"]}}]
"""

STRICT = """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: strict, namespace: payments}
spec: {mtls: {mode: STRICT}}
"""


def test_same_version_shows_current_decisions_without_changes() -> None:
    result = run(ALLOW_WEB_ONLY, [edge(), edge(source=("legacy", "batch"))])
    web, batch = result.outcomes
    assert web.before.decision is Decision.ALLOW and web.before.policy == "payments/api-allow"
    assert web.before.rule == 0
    assert batch.before.decision is Decision.DENY and batch.before.policy is None
    assert not result.changed


def test_service_port_is_mapped_to_the_named_target_port_for_policy_ports() -> None:
    # The policy allows port 8080 (the container port); the caller dials Service port 80.
    result = run(ALLOW_WEB_ONLY, [edge(port=80)])
    assert result.outcomes[0].before.decision is Decision.ALLOW


def test_caller_identity_is_derived_from_its_service_account() -> None:
    result = run(ALLOW_WEB_ONLY, [edge()])
    assert any("sidecar" in r or "mTLS" in r for r in result.outcomes[0].before.reasons)


def test_strict_mode_refuses_a_caller_without_sidecar() -> None:
    result = run(STRICT, [edge(source=("legacy", "batch"))])
    side = result.outcomes[0].before
    assert side.decision is Decision.DENY
    assert side.policy == "payments/strict"
    assert any("no proxy" in r for r in side.reasons)


def test_permissive_mode_accepts_plaintext_without_identity() -> None:
    result = run("", [edge(source=("legacy", "batch"))])
    assert result.outcomes[0].before.decision is Decision.ALLOW
    result = run(ALLOW_WEB_ONLY, [edge(source=("legacy", "batch"))])
    assert any("without mTLS" in r for r in result.outcomes[0].before.reasons)


def test_observed_plaintext_overrides_what_configuration_suggests() -> None:
    result = run(ALLOW_WEB_ONLY, [edge(mtls=Mtls.NONE)])
    assert result.outcomes[0].before.decision is Decision.DENY


def test_unknown_caller_makes_identity_decisions_unknown() -> None:
    result = run(ALLOW_WEB_ONLY, [edge(source=None)])
    assert result.outcomes[0].before.decision is Decision.UNKNOWN


def test_externalname_alias_turns_plaintext_into_mtls_and_breaks_a_namespace_deny() -> None:
    deny_shop = """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-shop, namespace: payments}
spec:
  action: DENY
  rules: [{from: [{source: {namespaces: [shop]}}]}]
"""
    result = run(deny_shop, [edge(service="api-alias", namespace="shop")], [ALIAS])
    outcome = result.outcomes[0]
    assert outcome.before.decision is Decision.ALLOW  # plaintext: no namespace to deny
    assert outcome.after.decision is Decision.DENY
    assert outcome.after.policy == "payments/deny-shop"
    assert outcome.kind is ChangeKind.BREAKS and outcome.change == ALIAS.id


def test_externalname_alias_lets_strict_mode_accept_the_caller() -> None:
    result = run(STRICT, [edge(service="api-alias", namespace="shop")], [ALIAS])
    outcome = result.outcomes[0]
    assert outcome.before.decision is Decision.DENY and outcome.before.policy == "payments/strict"
    assert outcome.after.decision is Decision.ALLOW
    assert outcome.kind is ChangeKind.OPENS


def test_kept_old_behaviour_is_not_simulated() -> None:
    result = run(STRICT, [edge(service="api-alias", namespace="shop")], [ALIAS], kept_old_behaviour={ALIAS.id})
    assert not result.changed
    assert result.notes


def test_change_in_effect_at_the_source_applies_on_both_sides() -> None:
    result = run(STRICT, [edge(service="api-alias", namespace="shop")], [], earlier_entries=[ALIAS])
    outcome = result.outcomes[0]
    assert outcome.before.decision is Decision.ALLOW and not outcome.changed


def test_field_report_changes_no_decision_and_marks_the_calls_that_depend_on_an_allow_policy() -> None:
    calls = [edge(), edge(source=("legacy", "batch"))]
    result = run(ALLOW_WEB_ONLY, calls, [IMPLICIT])
    admitted, refused = result.outcomes
    assert not result.changed
    assert (admitted.before.decision, admitted.after.decision) == (Decision.ALLOW, Decision.ALLOW)
    assert (refused.before.decision, refused.after.decision) == (Decision.DENY, Decision.DENY)
    assert admitted.watch == refused.watch == (IMPLICIT.id,)
    assert admitted.before.allow_policies == ("payments/api-allow",)
    assert result.watched == (IMPLICIT.id,)
    assert result.watched_by(IMPLICIT.id) == result.outcomes
    assert not any(IMPLICIT.id in reason for o in result.outcomes for reason in o.after.reasons)
    assert edges_to_json(result)[1]["watch"] == [IMPLICIT.id]


def test_field_report_leaves_calls_refused_before_authorization_unmarked() -> None:
    # STRICT mTLS refuses the plaintext caller before any ALLOW rule is read.
    result = run(ALLOW_WEB_ONLY + "---\n" + STRICT, [edge(), edge(source=("legacy", "batch"))], [IMPLICIT])
    admitted, refused = result.outcomes
    assert admitted.watch == (IMPLICIT.id,)
    assert refused.before.decision is Decision.DENY and refused.watch == ()


def test_field_report_leaves_workloads_without_allow_policies_unmarked() -> None:
    result = run("", [edge()], [IMPLICIT])
    assert not result.changed and result.outcomes[0].watch == ()


def test_field_report_already_behind_the_source_marks_nothing() -> None:
    result = run(ALLOW_WEB_ONLY, [edge(), edge(source=("legacy", "batch"))], [], earlier_entries=[IMPLICIT])
    assert [o.before.decision for o in result.outcomes] == [Decision.ALLOW, Decision.DENY]
    assert all(o.watch == () and not o.changed for o in result.outcomes)


def test_unknown_protocol_is_decided_both_ways() -> None:
    allow_get = """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: get-only, namespace: payments}
spec:
  rules: [{to: [{operation: {methods: [GET]}}]}]
"""
    result = run(allow_get, [edge(protocol="unknown", method="GET"), edge(protocol="tcp")])
    assert result.outcomes[0].before.decision is Decision.UNKNOWN
    assert result.outcomes[1].before.decision is Decision.DENY


def test_ambient_destination_is_enforced_by_ztunnel_at_l4() -> None:
    ambient = """
apiVersion: v1
kind: Namespace
metadata: {name: mesh, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: mesh}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: mesh}
spec: {selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: db-get, namespace: mesh}
spec:
  selector: {matchLabels: {app: db}}
  rules: [{from: [{source: {namespaces: [shop]}}], to: [{operation: {methods: [GET]}}]}]
"""
    result = run(ambient, [edge(service="db", namespace="mesh", port=5432, method="GET")])
    side = result.outcomes[0].before
    assert side.decision is Decision.DENY
    assert any("ztunnel" in r for r in side.reasons)


def test_edges_json_contract() -> None:
    result = run(STRICT, [edge(service="api-alias", namespace="shop")], [ALIAS])
    (item,) = edges_to_json(result)
    assert item["source"] == {"namespace": "shop", "workload": "web", "principal": None}
    assert item["destination"] == {"namespace": "shop", "service": "api-alias", "workload": None, "port": 80}
    assert item["protocol"] == "http" and item["requests"] == 100
    assert item["before"]["decision"] == "deny"
    assert item["before"]["policy"] == {"name": "payments/strict", "rule": None}
    assert item["after"]["decision"] == "allow" and item["after"]["policy"] is None
    assert item["change"] == ALIAS.id and item["kind"] == "opens"
    assert item["before"]["why"]


def test_unchanged_edge_has_no_change_key() -> None:
    (item,) = edges_to_json(run("", [edge()]))
    assert "change" not in item


def test_breaking_edge_with_real_traffic_raises_severity() -> None:
    deny_shop = """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-shop, namespace: payments}
spec:
  action: DENY
  rules: [{from: [{source: {namespaces: [shop]}}]}]
"""
    medium = entry("1.21-externalname-alias", "externalname_alias", Severity.MEDIUM)
    busy = edge(service="api-alias", namespace="shop")
    idle = edge(service="api-alias", namespace="shop", requests=0, protocol="grpc")
    result = run(deny_shop, [busy, idle], [medium])
    findings = findings_for_changed_edges(result, [medium])
    assert [f.severity for f in findings] == [Severity.HIGH, Severity.MEDIUM]
    assert findings[0].resource.name == "deny-shop"
    assert findings[0].details["edge"] == result.outcomes[0].id


def test_opening_edge_is_at_least_high() -> None:
    low = entry("1.21-externalname-alias", "externalname_alias", Severity.LOW)
    result = run(STRICT, [edge(service="api-alias", namespace="shop")], [low])
    (finding,) = findings_for_changed_edges(result, [low])
    assert finding.severity is Severity.HIGH
    assert "allowed after the upgrade" in finding.message


def test_simulation_key_validation() -> None:
    assert check_simulation({}) is None
    assert check_simulation({"switch": "externalname_alias"}) is None
    assert "must be one of" in (check_simulation({"switch": "nope"}) or "")
    assert "unknown key" in (check_simulation({"switch": "externalname_alias", "flag": 1}) or "")
    assert check_simulation({"watch": "allow_implicit_deny"}) is None
    assert "must be one of" in (check_simulation({"watch": "nope"}) or "")
    assert "exactly one" in (check_simulation({"watch": "allow_implicit_deny", "switch": "externalname_alias"}) or "")


WILDCARD_ROUTES = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: example, namespace: shop}
spec: {hosts: ["*.example.com"], ports: [{number: 443, name: tls, protocol: TLS}], resolution: NONE}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: narrow-old, namespace: shop, creationTimestamp: "2022-01-01T00:00:00Z"}
spec:
  hosts: ["api.example.com"]
  tls: [{match: [{sniHosts: ["api.example.com"]}], route: [{destination: {host: egress-a.shop.svc.cluster.local}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wide-new, namespace: shop, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: ["*.example.com"]
  tls: [{match: [{sniHosts: ["*.example.com"]}], route: [{destination: {host: egress-b.shop.svc.cluster.local}}]}]
"""


def test_most_specific_virtual_service_host_reroutes_wildcard_traffic() -> None:
    precedence = entry("1.21-wildcard-virtual-service-precedence", "vs_most_specific_host")
    external = Edge(Source("shop", "web", in_mesh=True), Destination(host="api.example.com", service_port=443),
                    "tls", 10, origin=Origin.PROMETHEUS)
    result = run(WILDCARD_ROUTES, [external], [precedence])
    outcome = result.outcomes[0]
    assert outcome.before.destination == "egress-a.shop.svc.cluster.local"
    assert outcome.after.destination == "egress-b.shop.svc.cluster.local"
    assert outcome.kind is ChangeKind.REROUTES and outcome.change == precedence.id


def test_tls_origination_without_ca_is_unknown_after_certificate_verification() -> None:
    verify = entry("1.21-verify-certificate-at-client", "verify_certificate_at_client")
    rule = """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-tls, namespace: payments}
spec:
  host: api.payments.svc.cluster.local
  trafficPolicy: {tls: {mode: SIMPLE}}
"""
    result = run(rule, [edge()], [verify])
    outcome = result.outcomes[0]
    assert outcome.before.decision is Decision.ALLOW
    assert outcome.after.decision is Decision.UNKNOWN and outcome.change == verify.id
    assert any("payments/api-tls" in r for r in outcome.after.reasons)


# Memoised decisions: edges share a decision only when nothing a policy reads tells them apart --------


GET_AND_HEALTH = """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: get-api, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  rules: [{to: [{operation: {methods: [GET], paths: ["/api/*"]}}]}]
"""


def test_edges_differing_only_in_method_or_path_are_decided_apart() -> None:
    ghost = Source("shop", "ghost", principal="spiffe://cluster.local/ns/shop/sa/ghost")
    edges = [edge(method="GET", path="/api/v1", mtls=Mtls.MUTUAL), edge(method="POST", path="/api/v1"),
             edge(method="GET", path="/admin"),
             Edge(ghost, Destination("payments", "api", service_port=80), "http", 5, method="GET", path="/api/v1",
                  mtls=Mtls.MUTUAL, origin=Origin.PROMETHEUS)]
    get_api, post, admin, other_caller = (o.before for o in run(GET_AND_HEALTH, edges).outcomes)
    assert get_api.decision is Decision.ALLOW and other_caller.decision is Decision.ALLOW
    assert post.decision is Decision.DENY and any("request is POST" in r for r in post.reasons)
    assert admin.decision is Decision.DENY and any("request is /admin" in r for r in admin.reasons)
    assert get_api is other_caller  # the policy does not read the caller: one shared decision


def test_edges_differing_only_in_caller_are_decided_apart_when_a_policy_reads_the_identity() -> None:
    web, batch_in_mesh = run(ALLOW_WEB_ONLY, [edge(mtls=Mtls.MUTUAL),
                                               edge(source=("shop", "other"), in_mesh=True, mtls=Mtls.MUTUAL)]).outcomes
    assert web.before.decision is Decision.ALLOW
    assert batch_in_mesh.before.decision is Decision.UNKNOWN  # in the mesh, identity unknown
    by_path = run(GET_AND_HEALTH, [edge(method="GET", path="/api/x"), edge(source=("legacy", "batch"), method="GET",
                                                                             path="/api/x")]).outcomes
    assert by_path[0].before.decision is Decision.ALLOW and by_path[1].before.decision is Decision.ALLOW
    assert by_path[0].before.reasons != by_path[1].before.reasons  # the transport differs: plaintext vs mTLS


def test_edges_differing_only_in_observed_mtls_or_protocol_are_decided_apart() -> None:
    edges = [edge(mtls=Mtls.MUTUAL), edge(mtls=Mtls.NONE), edge(protocol="tcp", mtls=Mtls.MUTUAL),
             edge(protocol="unknown", mtls=Mtls.MUTUAL)]
    mutual, plaintext, tcp, unknown = (o.before for o in run(STRICT + "---" + ALLOW_WEB_ONLY, edges).outcomes)
    assert mutual.decision is Decision.ALLOW and mutual.policy == "payments/api-allow"
    assert plaintext.decision is Decision.DENY and plaintext.policy == "payments/strict"
    assert tcp.decision is Decision.ALLOW
    assert unknown.decision is Decision.ALLOW


def test_a_switch_that_cannot_touch_an_edge_leaves_its_after_side_as_its_before() -> None:
    verify = entry("1.21-verify-certificate-at-client", "verify_certificate_at_client")
    rule = """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: other-tls, namespace: payments}
spec:
  host: other.payments.svc.cluster.local
  trafficPolicy: {tls: {mode: SIMPLE}}
"""
    untouched, aliased = run(rule, [edge(), edge(service="api-alias", namespace="shop")], [verify, ALIAS]).outcomes
    assert untouched.after is untouched.before and not untouched.changed
    assert aliased.after is not aliased.before and aliased.after.reasons != aliased.before.reasons


def test_workloads_deciding_alike_are_still_counted_one_by_one_when_others_disagree() -> None:
    more = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api-canary, namespace: payments}
spec:
  template:
    metadata: {labels: {app: api, track: canary}}
    spec: {serviceAccountName: api, containers: [{name: api, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api-legacy, namespace: payments}
spec:
  template:
    metadata: {labels: {app: api, sidecar.istio.io/inject: "false"}}
    spec: {containers: [{name: api, ports: [{name: http, containerPort: 8080}]}]}
"""
    outcome = run(more + "---" + ALLOW_WEB_ONLY, [edge(source=("legacy", "batch"))]).outcomes[0]
    assert outcome.before.decision is Decision.UNKNOWN
    summary = outcome.before.reasons[0]
    assert summary.startswith("destinations disagree")
    assert summary.count("payments/api: deny") == 2 and summary.count("payments/api: allow") == 1


def test_wildcard_service_entry_lookup_keeps_snapshot_order_and_suffix_matching() -> None:
    entries = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a-partners, namespace: shop}
spec: {hosts: ["*.partner.example.com", "api.example.com"]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: b-everything, namespace: shop}
spec: {hosts: ["*.example.com", "*example.org"]}
"""
    snapshot = snapshot_from_yaml(CLUSTER + "---" + entries)
    hosts = WildcardServiceEntryHosts(snapshot.of_kind("ServiceEntry"))
    assert hosts.first_match("pay.partner.example.com") == "*.partner.example.com"
    assert hosts.first_match("api.example.com") == "*.example.com"
    assert hosts.first_match("example.com") is None
    assert hosts.first_match("shopexample.org") == "*example.org"
    assert hosts.first_match("*.partner.example.com") == "*.partner.example.com"
    assert hosts.first_match("other.net") is None


# DestinationRule TLS mode on the caller's side of every edge -----------------------------------------


def api_rule(mode: str, namespace: str = "payments", name: str = "api-tls") -> str:
    return f"""
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  host: api.payments.svc.cluster.local
  trafficPolicy: {{tls: {{mode: {mode}}}}}
"""


def test_destination_rule_disable_sends_plaintext_which_strict_refuses_naming_the_rule() -> None:
    side = run(STRICT + "---" + api_rule("DISABLE"), [edge()]).outcomes[0].before
    assert side.decision is Decision.DENY and side.policy == "payments/strict"
    assert any("DestinationRule payments/api-tls (trafficPolicy) sets tls mode DISABLE" in r for r in side.reasons)


def test_destination_rule_simple_originates_tls_without_a_principal() -> None:
    side = run(ALLOW_WEB_ONLY + "---" + api_rule("SIMPLE"), [edge()]).outcomes[0].before
    assert side.decision is Decision.DENY  # PERMISSIVE lets it in, but the policy needs web's principal
    assert any("originates TLS to the application" in r for r in side.reasons)
    refused = run(STRICT + "---" + api_rule("MUTUAL"), [edge()]).outcomes[0].before
    assert refused.decision is Decision.DENY and refused.policy == "payments/strict"


def test_destination_rule_istio_mutual_keeps_mtls_and_the_callers_principal() -> None:
    side = run(STRICT + "---" + ALLOW_WEB_ONLY + "---" + api_rule("ISTIO_MUTUAL"), [edge()]).outcomes[0].before
    assert side.decision is Decision.ALLOW and side.policy == "payments/api-allow"
    assert any("ISTIO_MUTUAL" in r for r in side.reasons)


def test_the_callers_namespace_rule_overrides_the_destinations_rule() -> None:
    rules = api_rule("DISABLE") + "---" + api_rule("ISTIO_MUTUAL", namespace="shop", name="shop-api")
    side = run(STRICT + "---" + rules, [edge()]).outcomes[0].before
    assert side.decision is Decision.ALLOW
    assert any("shop/shop-api" in r for r in side.reasons)


def test_traffic_data_that_shows_mtls_wins_over_a_disable_rule() -> None:
    side = run(STRICT + "---" + api_rule("DISABLE"), [edge(mtls=Mtls.MUTUAL)]).outcomes[0].before
    assert side.decision is Decision.ALLOW


def test_a_caller_without_sidecar_ignores_destination_rules() -> None:
    side = run(api_rule("ISTIO_MUTUAL"), [edge(source=("legacy", "batch"))]).outcomes[0].before
    assert not any("DestinationRule" in r for r in side.reasons)
    assert any("no proxy" in r for r in side.reasons)


def test_externalname_alias_after_side_follows_the_aliased_hosts_destination_rule() -> None:
    # After the alias change the caller routes to api.payments as a mesh service, so the rule for
    # that host decides the transport: DISABLE keeps it plaintext and STRICT keeps refusing it.
    result = run(STRICT + "---" + api_rule("DISABLE"), [edge(service="api-alias", namespace="shop")], [ALIAS])
    outcome = result.outcomes[0]
    assert outcome.before.decision is Decision.DENY and outcome.after.decision is Decision.DENY
    assert not outcome.changed
    assert any("sets tls mode DISABLE" in r for r in outcome.after.reasons)


# Sidecar egress imports: the caller's route to the destination --------------------------------------


def shop_sidecar(hosts: str, extra: str = "") -> str:
    return f"""
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {{name: default, namespace: shop}}
spec: {{egress: [{{hosts: {hosts}}}]{extra}}}
"""


def test_sidecar_without_the_import_sends_plaintext_through_passthrough_which_strict_refuses() -> None:
    side = run(STRICT + "---" + shop_sidecar("['./*']"), [edge()]).outcomes[0].before
    assert side.decision is Decision.DENY and side.policy == "payments/strict"
    assert any("Sidecar shop/default does not import payments/api.payments.svc.cluster.local" in r
               and "PassthroughCluster" in r for r in side.reasons)


def test_sidecar_with_registry_only_drops_unimported_calls_in_the_blackhole() -> None:
    sidecar = shop_sidecar("['./*']", ", outboundTrafficPolicy: {mode: REGISTRY_ONLY}")
    side = run(sidecar, [edge()]).outcomes[0].before
    assert side.decision is Decision.DENY and side.policy == "shop/default"
    assert side.policy_ref is not None and side.policy_ref.kind == "Sidecar"
    assert any("BlackHoleCluster" in r for r in side.reasons)


def test_sidecar_that_imports_the_namespace_keeps_auto_mtls() -> None:
    side = run(STRICT + "---" + ALLOW_WEB_ONLY + "---" + shop_sidecar("['payments/*']"), [edge()]).outcomes[0].before
    assert side.decision is Decision.ALLOW and side.policy == "payments/api-allow"


def test_sidecar_of_another_namespace_does_not_scope_the_caller() -> None:
    other = """
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: payments}
spec: {egress: [{hosts: ['./*']}], outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
"""
    assert run(other, [edge()]).outcomes[0].before.decision is Decision.ALLOW


SHARED_HOST = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api-mirror, namespace: aaa-mirror, creationTimestamp: "2023-01-01T00:00:00Z"}
spec: {hosts: [api.payments.svc.cluster.local], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pay-route, namespace: edge}
spec:
  hosts: [pay.example.com]
  http: [{route: [{destination: {host: api.payments.svc.cluster.local}}]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec: {egress: [{hosts: ['./*', 'edge/pay.example.com']}]}
"""
PICK_BEST = entry("1.30-sidecar-pick-best-service-namespace", "sidecar_pick_best_service_namespace")


def test_sidecar_scoped_caller_is_rerouted_to_the_kubernetes_services_namespace_after_1_30() -> None:
    outcome = run(SHARED_HOST, [edge()], [PICK_BEST]).outcomes[0]
    assert outcome.before.destination == "aaa-mirror/api.payments.svc.cluster.local"
    assert outcome.after.destination == "payments/api"
    assert outcome.kind is ChangeKind.REROUTES and outcome.change == PICK_BEST.id
    assert any("VirtualService edge/pay-route" in r and "istiod picks aaa-mirror" in r for r in outcome.before.reasons)
    assert any("istiod picks payments" in r for r in outcome.after.reasons)


def test_namespace_choice_leaves_callers_without_sidecar_and_explicit_imports_alone() -> None:
    no_sidecar = run(SHARED_HOST, [edge(source=("legacy", "batch"))], [PICK_BEST]).outcomes[0]
    assert not no_sidecar.changed and no_sidecar.before.destination == "payments/api"
    explicit = SHARED_HOST.replace("'./*', 'edge/pay.example.com'", "'./*', 'edge/pay.example.com', 'payments/*'")
    assert not run(explicit, [edge()], [PICK_BEST]).outcomes[0].changed


def test_namespace_choice_without_the_switch_keeps_the_alphabetical_pick_on_both_sides() -> None:
    outcome = run(SHARED_HOST, [edge()], []).outcomes[0]
    assert not outcome.changed and outcome.after.destination == "aaa-mirror/api.payments.svc.cluster.local"
    assert check_simulation({"switch": "sidecar_pick_best_service_namespace"}) is None


EXTERNAL_ALIAS = """
apiVersion: v1
kind: Service
metadata: {name: billing, namespace: shop}
spec: {type: ExternalName, externalName: billing.example.com, ports: [{name: https, port: 443}]}
"""

REGISTRY_ONLY_MESH = """
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  template:
    spec:
      containers: [{name: discovery, image: docker.io/istio/pilot:1.20.3}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    outboundTrafficPolicy: {mode: REGISTRY_ONLY}
"""


def test_alias_of_an_unregistered_host_breaks_under_registry_only() -> None:
    call = edge(service="billing", namespace="shop", port=443, protocol="tls")
    result = run(EXTERNAL_ALIAS + REGISTRY_ONLY_MESH, [call], [ALIAS])
    (outcome,) = result.outcomes
    assert outcome.before.decision is Decision.ALLOW
    assert outcome.after.decision is Decision.DENY and outcome.kind is ChangeKind.BREAKS
    assert outcome.change == ALIAS.id
    assert any("BlackHoleCluster" in r for r in outcome.after.reasons)
    assert any("no Service or ServiceEntry defines" in r for r in outcome.after.reasons)


def test_alias_of_an_unregistered_host_passes_through_under_allow_any() -> None:
    call = edge(service="billing", namespace="shop", port=443, protocol="tls")
    result = run(EXTERNAL_ALIAS, [call], [ALIAS])
    (outcome,) = result.outcomes
    assert (outcome.before.decision, outcome.after.decision) == (Decision.ALLOW, Decision.ALLOW)
    assert not outcome.changed
def test_edge_without_protocol_takes_the_service_ports_declared_protocol() -> None:
    named = """
apiVersion: v1
kind: Service
metadata: {name: api-tcp, namespace: payments}
spec:
  selector: {app: api}
  ports: [{name: tcp-db, port: 5432, targetPort: 8080}, {name: web, port: 81, targetPort: 8080, appProtocol: http}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: get-only, namespace: payments}
spec:
  rules: [{to: [{operation: {methods: [GET]}}]}]
"""
    tcp, http = run(named, [
        edge(service="api-tcp", port=5432, protocol="unknown"),
        edge(service="api-tcp", port=81, protocol="unknown", method="GET"),
    ]).outcomes
    assert tcp.before.decision is Decision.DENY
    assert "protocol tcp, as the Service port declares it" in tcp.before.reasons
    assert http.before.decision is Decision.ALLOW
    assert "protocol http, as the Service port declares it" in http.before.reasons


def test_istio_mutual_to_a_workload_without_proxy_fails_the_handshake() -> None:
    batch = """
apiVersion: v1
kind: Service
metadata: {name: batch, namespace: legacy}
spec:
  selector: {app: batch}
  ports: [{name: http, port: 80}]
"""
    forced = batch + """---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: batch, namespace: legacy}
spec:
  host: batch.legacy.svc.cluster.local
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
"""
    to_batch = edge(service="batch", namespace="legacy")
    assert run(batch, [to_batch]).outcomes[0].before.decision is Decision.ALLOW
    side = run(forced, [to_batch]).outcomes[0].before
    assert side.decision is Decision.DENY
    assert any("legacy/batch has no proxy to terminate Istio mTLS" in r for r in side.reasons)
    # Traffic data that saw plaintext succeed wins over the configuration.
    assert run(forced, [edge(service="batch", namespace="legacy", mtls=Mtls.NONE)]).outcomes[0].before.decision \
        is Decision.ALLOW


def test_observed_mtls_is_in_the_edge_id_and_the_json() -> None:
    result = run(ALLOW_WEB_ONLY, [edge(mtls=Mtls.MUTUAL), edge(mtls=Mtls.NONE), edge()])
    ids = [o.id for o in result.outcomes]
    assert len(set(ids)) == 3
    assert "mtls=mutual_tls" in ids[0] and "mtls=none" in ids[1] and "mtls=" not in ids[2]
    items = edges_to_json(result)
    assert [i["mtls"] for i in items] == ["mutual_tls", "none", "unknown"]
    assert items[0]["destination"]["port"] == 80 and items[0]["protocol"] == "http"


def test_the_service_ports_declared_protocol_beats_what_the_data_calls_it() -> None:
    tcp_port = """
apiVersion: v1
kind: Service
metadata: {name: api-tcp, namespace: payments}
spec:
  selector: {app: api}
  ports: [{name: tcp-db, port: 5432, targetPort: 8080}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: get-only, namespace: payments}
spec:
  rules: [{to: [{operation: {methods: [GET]}}]}]
"""
    side = run(tcp_port, [edge(service="api-tcp", port=5432, protocol="http", method="GET")]).outcomes[0].before
    assert side.decision is Decision.DENY  # the ALLOW rule's methods never match on a TCP filter chain
    assert "the Service port declares tcp: the proxy handles the calls as tcp, not http" in side.reasons
