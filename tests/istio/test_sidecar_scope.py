"""Sidecar egress imports (istio.io Sidecar ``egress.hosts``, ``outboundTrafficPolicy``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from preflight.istio.sidecar_scope import ALLOW_ANY, REGISTRY_ONLY, SidecarRoutes, SidecarScope, SidecarScopes
from tests.support import snapshot_from_yaml

API = "api.payments.svc.cluster.local"


def _sidecar(name: str, namespace: str, spec: str, created: str = "2024-01-01T00:00:00Z") -> str:
    return (
        "apiVersion: networking.istio.io/v1\nkind: Sidecar\n"
        f"metadata: {{name: {name}, namespace: {namespace}, creationTimestamp: '{created}'}}\n"
        f"spec: {spec}\n---\n"
    )


def _scopes(*docs: str, mesh: Mapping[str, Any] | None = None) -> SidecarScopes:
    snapshot = snapshot_from_yaml("".join(docs))
    return SidecarScopes(snapshot.of_kind("Sidecar"), "istio-system", mesh or {})


def _scope(hosts: str, namespace: str = "shop") -> SidecarScope:
    return _scopes(_sidecar("default", namespace, f"{{egress: [{{hosts: {hosts}}}]}}")).scope_for(namespace)


def test_a_namespace_import_covers_every_host_of_that_namespace_only() -> None:
    scope = _scope("['payments/*']")
    assert scope.imports(API, "payments", 80)
    assert not scope.imports("cart.billing.svc.cluster.local", "billing", 80)


def test_dot_means_the_callers_own_namespace() -> None:
    scope = _scope("['./*']")
    assert scope.imports("cart.shop.svc.cluster.local", "shop", None)
    assert not scope.imports(API, "payments", None)


def test_star_namespace_imports_the_host_from_any_namespace() -> None:
    scope = _scope("['*/api.payments.svc.cluster.local', '*/*.example.com']")
    assert scope.imports(API, "payments", 80)
    assert scope.imports("pay.example.com", "partners", 443)
    assert not scope.imports("cart.billing.svc.cluster.local", "billing", 80)


def test_tilde_excludes_a_host_that_another_entry_imports() -> None:
    scope = _scope("['*/*', '~payments/api.payments.svc.cluster.local']")
    assert not scope.imports(API, "payments", 80)
    assert scope.imports("db.payments.svc.cluster.local", "payments", 80)
    assert not _scope("['~/*']").imports(API, "payments", 80)


def test_a_listener_with_a_port_imports_for_that_port_only() -> None:
    spec = "{egress: [{port: {number: 9000, protocol: TCP}, hosts: ['payments/*']}, {hosts: ['./*']}]}"
    scope = _scopes(_sidecar("default", "shop", spec)).scope_for("shop")
    assert scope.imports(API, "payments", 9000)
    assert not scope.imports(API, "payments", 80)


def test_workload_selector_sidecar_wins_then_namespace_default_then_root_default() -> None:
    scopes = _scopes(
        _sidecar("web-only", "shop", "{workloadSelector: {labels: {app: web}}, egress: [{hosts: ['payments/*']}]}"),
        _sidecar("default", "shop", "{egress: [{hosts: ['./*']}]}"),
        _sidecar("mesh", "istio-system", "{egress: [{hosts: ['./*', 'istio-system/*']}]}"),
    )
    assert scopes.sidecar_for("shop", {"app": "web"}).name == "web-only"  # type: ignore[union-attr]
    assert scopes.sidecar_for("shop", {"app": "cart"}).name == "default"  # type: ignore[union-attr]
    assert scopes.sidecar_for("billing", {"app": "x"}).name == "mesh"  # type: ignore[union-attr]
    # The mesh default's "." is the caller's namespace, not the root namespace.
    assert scopes.scope_for("billing").imports("cart.billing.svc.cluster.local", "billing", 80)


def test_without_any_sidecar_everything_is_imported() -> None:
    scope = _scopes().scope_for("shop")
    assert scope.sidecar is None and scope.imports(API, "payments", 80)


def test_a_sidecar_without_egress_imports_everything() -> None:
    assert _scopes(_sidecar("default", "shop", "{}")).scope_for("shop").imports(API, "payments", 80)


def test_outbound_policy_from_the_sidecar_wins_over_mesh_config() -> None:
    registry = {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}
    assert _scopes(_sidecar("default", "shop", "{egress: [{hosts: ['./*']}]}"), mesh=registry).scope_for(
        "shop"
    ).outbound_policy == REGISTRY_ONLY
    own = "{egress: [{hosts: ['./*']}], outboundTrafficPolicy: {mode: ALLOW_ANY}}"
    assert _scopes(_sidecar("default", "shop", own), mesh=registry).scope_for("shop").outbound_policy == ALLOW_ANY
    assert _scopes(_sidecar("default", "shop", "{}")).scope_for("shop").outbound_policy == ALLOW_ANY


def test_hosts_reached_only_through_an_imported_virtual_service() -> None:
    route = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pay-route, namespace: edge}
spec:
  hosts: [pay.example.com]
  http: [{route: [{destination: {host: api.shared.svc.cluster.local}}]}]
---
"""
    snapshot = snapshot_from_yaml(_sidecar("default", "shop", "{egress: [{hosts: ['edge/pay.example.com']}]}") + route)
    scope = SidecarScopes(snapshot.of_kind("Sidecar"), "istio-system", {}).scope_for("shop")
    routes = SidecarRoutes(snapshot.of_kind("VirtualService"))
    found = scope.route_only_hosts(routes)
    assert list(found) == ["api.shared.svc.cluster.local"] and found["api.shared.svc.cluster.local"].name == "pay-route"
    other = SidecarScopes(snapshot.of_kind("Sidecar"), "istio-system", {}).scope_for("billing")
    assert other.route_only_hosts(routes) == {}
