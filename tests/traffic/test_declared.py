"""Declared edges from AuthorizationPolicies, VirtualService routes and gateways."""

from __future__ import annotations

from preflight.istio.cluster import build_cluster
from preflight.traffic.declared import PARTIAL_COVERAGE_NOTE, declared_traffic
from preflight.traffic.interface import Origin, Source
from tests.support import snapshot_from_yaml

MESH = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {istio-injection: enabled}}
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
    spec: {serviceAccountName: web-sa, containers: [{name: web, image: web}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  template:
    metadata: {labels: {app: cart}}
    spec: {serviceAccountName: cart-sa, containers: [{name: cart, image: cart}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {selector: {app: cart}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backup, namespace: ops}
spec:
  template:
    metadata: {labels: {app: backup}}
    spec: {containers: [{name: backup, image: backup}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cron, namespace: legacy}
spec:
  template:
    metadata: {labels: {app: cron}}
    spec: {containers: [{name: cron, image: cron}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress, namespace: istio-system}
spec:
  template:
    metadata: {labels: {istio: ingressgateway}}
    spec: {serviceAccountName: ingress-sa, containers: [{name: istio-proxy, image: proxyv2}]}
"""


def test_allow_policy_callers_become_declared_edges() -> None:
    snapshot = snapshot_from_yaml(
        MESH
        + """
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: cart-callers, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  rules:
    - from:
        - source: {principals: ["cluster.local/ns/shop/sa/web-sa"]}
      to:
        - operation: {methods: [get], paths: ["/cart"], ports: ["8080"]}
    - from:
        - source: {namespaces: [legacy, "*"]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-ops, namespace: shop}
spec:
  action: DENY
  rules: [{from: [{source: {namespaces: [ops]}}]}]
"""
    )
    traffic = declared_traffic(build_cluster(snapshot))
    assert traffic.partial is True and traffic.notes == (PARTIAL_COVERAGE_NOTE,)
    by_source = {str(e.source): e for e in traffic.edges}
    assert set(by_source) == {"shop/web", "legacy/cron"}
    web = by_source["shop/web"]
    assert web.source.principal == "spiffe://cluster.local/ns/shop/sa/web-sa" and web.source.in_mesh is True
    assert str(web.destination.service_ref) == "shop/cart" and web.destination.workload == "cart"
    assert (web.method, web.path, web.destination.target_port, web.protocol) == ("GET", "/cart", 8080, "http")
    assert web.origin is Origin.DECLARED and web.requests == 0
    assert "AuthorizationPolicy shop/cart-callers" in web.evidence[0]
    cron = by_source["legacy/cron"]
    assert cron.source.in_mesh is False and cron.source.principal is None


def test_principal_of_a_workload_missing_from_the_snapshot_is_kept() -> None:
    snapshot = snapshot_from_yaml(
        MESH
        + """
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: cart-callers, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  rules: [{from: [{source: {principals: ["cluster.local/ns/batch/sa/nightly", "*"]}}]}]
"""
    )
    [edge] = declared_traffic(build_cluster(snapshot)).edges
    assert edge.source.namespace == "batch" and edge.source.workload is None
    assert edge.source.principal == "spiffe://cluster.local/ns/batch/sa/nightly"


def test_gateway_and_mesh_routes_become_declared_edges() -> None:
    snapshot = snapshot_from_yaml(
        MESH
        + """
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
    - route:
        - destination: {host: cart, port: {number: 80}}
        - destination: {host: api.partner.example}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart-tcp, namespace: shop}
spec:
  hosts: [cart]
  tcp: [{route: [{destination: {host: cart.shop.svc.cluster.local}}]}]
"""
    )
    edges = declared_traffic(build_cluster(snapshot)).edges
    described = sorted((str(e.source), str(e.destination), e.protocol) for e in edges)
    assert described == [
        ("istio-system/ingress", "api.partner.example", "http"),
        ("istio-system/ingress", "shop/cart:80", "http"),
        ("unknown", "shop/cart", "tcp"),
    ]
    gateway = next(e for e in edges if e.destination.service == "cart" and e.protocol == "http")
    assert gateway.source.principal == "spiffe://cluster.local/ns/istio-system/sa/ingress-sa"
    mesh = next(e for e in edges if e.protocol == "tcp")
    assert mesh.source.in_mesh is True and not mesh.source.known


def test_a_snapshot_without_policies_or_routes_declares_nothing() -> None:
    traffic = declared_traffic(build_cluster(snapshot_from_yaml(MESH)))
    assert traffic.edges == () and traffic.partial is True


def _workloads_yaml(identities: list[tuple[str, str]]) -> str:
    namespaces = sorted({namespace for namespace, _ in identities})
    documents = [f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {n}, labels: {{istio-injection: enabled}}}}\n"
                 for n in namespaces]  # fmt: skip
    for number, (namespace, account) in enumerate(identities):
        documents.append(
            "apiVersion: apps/v1\nkind: Deployment\n"
            f"metadata: {{name: app-{number}, namespace: {namespace}}}\n"
            f"spec: {{selector: {{matchLabels: {{app: a{number}}}}}, template: "
            f"{{metadata: {{labels: {{app: a{number}}}}}, "
            f"spec: {{serviceAccountName: {account}, containers: [{{name: c, image: i}}]}}}}}}\n"
        )
    return "---\n".join(documents)


def test_callers_by_principal_and_namespace_match_a_scan_of_every_workload() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from preflight.istio.cluster import build_cluster
    from preflight.istio.identity import parse_identity, principal_matches, spiffe_id
    from preflight.istio.matching import value_matches
    from preflight.traffic.declared import _Declared

    identities = [(ns, sa) for ns in ("shop", "shops", "pay", "p") for sa in ("web", "web-v2", "api", "default")]
    snapshot = snapshot_from_yaml(_workloads_yaml(identities[::2] + identities[1::3]))
    finder = _Declared(build_cluster(snapshot))
    principal_patterns = st.one_of(
        st.sampled_from(["*", "", " ", "spiffe://*", "cluster.local/ns/shop/sa/web", "cluster.local/ns/gone/sa/x",
                         "*/sa/web", "*web", "cluster.local/ns/shop*", "cluster.local/ns/shop/*", "*-v2", "**",
                         "spiffe://cluster.local/ns/pay/sa/api", "cluster.local/*", "*/ns/p/sa/default"]),
        st.text(alphabet="*/aepsw", max_size=6),
    )  # fmt: skip

    def by_scan(pattern: str) -> list[object]:
        if pattern.strip() in ("", "*"):
            return []
        found = [
            finder.source_of(w)
            for w in snapshot.workloads
            if principal_matches(pattern, spiffe_id(finder.cluster.trust_domain, w.namespace, w.service_account))
        ]
        identity = parse_identity(pattern)
        if not found and identity is not None:
            return [Source(namespace=identity.namespace, principal=identity.spiffe_id, in_mesh=True)]
        return list(found)

    @settings(max_examples=200)
    @given(principal_patterns, st.sampled_from(["shop", "shop*", "*s", "*", "p*", "*op", "nowhere", "s*p"]))
    def check(principal: str, namespace: str) -> None:
        assert finder.callers_by_principal(principal) == by_scan(principal), principal
        expected_namespaces = [n for n in snapshot.namespaces if value_matches(namespace, n) and namespace != "*"]
        expected = [finder.source_of(w) for n in expected_namespaces for w in snapshot.workloads_in(n)]
        if not expected_namespaces and "*" not in namespace:
            expected = [Source(namespace=namespace)]
        assert finder.callers_by_namespace(namespace) == expected, namespace

    check()
