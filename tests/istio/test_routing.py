"""VirtualService destinations and which VirtualService a service host gets.

Upstream: ``pilot/pkg/model/push_context.go`` ``virtualServiceDestinationsFilteredBySourceNamespace``
(route, mirror and mirrors destinations); ``pilot/pkg/model/config.go`` ``MostSpecificHostMatch``.
"""

from __future__ import annotations

from preflight.istio.routing import (
    applies_to_sidecars,
    creation_order_key,
    most_specific_host,
    most_specific_winner,
    oldest_first_winner,
    overlapping_virtual_services,
    route_destinations,
)
from preflight.snapshot.interface import K8sObject
from tests.support import snapshot_from_yaml


def _vs(name: str, spec: str, namespace: str = "shop", created: str = "") -> K8sObject:
    created_field = f", creationTimestamp: '{created}'" if created else ""
    snapshot = snapshot_from_yaml(
        f"apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        f"metadata: {{name: {name}, namespace: {namespace}{created_field}}}\nspec: {spec}\n"
    )
    return snapshot.of_kind("VirtualService")[0]


def test_destinations_of_http_tcp_and_tls_routes() -> None:
    vs = _vs(
        "all",
        """
  hosts: [web]
  http: [{route: [{destination: {host: web-v1}}, {destination: {host: web-v2}}]}]
  tcp: [{route: [{destination: {host: db}}]}]
  tls: [{match: [{sniHosts: [a.example.com]}], route: [{destination: {host: a.example.com}}]}]
""",
    )
    assert route_destinations(vs) == {"web-v1", "web-v2", "db", "a.example.com"}


def test_mirror_and_mirrors_destinations_receive_traffic_too() -> None:
    vs = _vs(
        "mirrored",
        """
  hosts: [web]
  http:
  - route: [{destination: {host: web}}]
    mirror: {host: shadow-a}
    mirrors: [{destination: {host: shadow-b}, percentage: {value: 10}}, {percentage: {value: 5}}, junk]
""",
    )
    assert route_destinations(vs) == {"web", "shadow-a", "shadow-b"}


def test_wrong_types_and_missing_hosts_are_skipped() -> None:
    vs = _vs("odd", '{hosts: [web], http: ["junk", {route: "x"}, {route: [{destination: {port: {number: 80}}}]}]}')
    assert route_destinations(vs) == set()


def test_sidecars_get_virtual_services_without_gateways_or_naming_mesh() -> None:
    assert applies_to_sidecars(_vs("a", "{hosts: [web]}"))
    assert applies_to_sidecars(_vs("b", "{hosts: [web], gateways: [edge/public, mesh]}"))
    assert not applies_to_sidecars(_vs("c", "{hosts: [web], gateways: [edge/public]}"))


def test_creation_order_puts_missing_timestamps_first_then_namespace_and_name() -> None:
    old = _vs("z", "{hosts: [a]}", created="2023-01-01T00:00:00Z")
    new = _vs("a", "{hosts: [a]}", created="2024-01-01T00:00:00Z")
    unknown = _vs("m", "{hosts: [a]}")
    assert sorted([new, old, unknown], key=creation_order_key) == [unknown, old, new]
    assert oldest_first_winner([new, old]) is old
    assert oldest_first_winner([]) is None


def test_most_specific_host_prefers_equal_then_longest_covering_wildcard() -> None:
    host = "api.shop.example.com"
    assert most_specific_host(host, ["*", "*.example.com", host]) == host
    assert most_specific_host(host, ["*", "*.example.com", "*.shop.example.com"]) == "*.shop.example.com"
    assert most_specific_host(host, ["*"]) == "*"


def test_narrower_or_unrelated_hosts_do_not_cover() -> None:
    assert most_specific_host("*.example.com", ["*.shop.example.com", "api.example.com"]) is None
    assert most_specific_host("api.example.com", ["*.example.org", "web.example.com"]) is None


def test_wildcard_service_host_is_covered_by_itself_or_a_wider_wildcard() -> None:
    assert most_specific_host("*.shop.example.com", ["*.example.com", "*.shop.example.com"]) == "*.shop.example.com"
    assert most_specific_host("*.shop.example.com", ["*.example.com"]) == "*.example.com"


def test_most_specific_winner_resolves_short_names_and_breaks_ties_by_age() -> None:
    exact = _vs("exact", "{hosts: [reviews]}", created="2024-01-01T00:00:00Z")
    wide = _vs("wide", "{hosts: ['*.svc.cluster.local']}", created="2020-01-01T00:00:00Z")
    wider = _vs("wider", "{hosts: ['*']}", created="2019-01-01T00:00:00Z")
    host = "reviews.shop.svc.cluster.local"
    assert most_specific_winner(host, [wider, wide, exact]) is exact
    assert most_specific_winner(host, [wider, wide]) is wide
    twin = _vs("twin", "{hosts: ['*.svc.cluster.local']}", created="2021-01-01T00:00:00Z")
    assert most_specific_winner(host, [twin, wide]) is wide
    assert most_specific_winner("other.example.com", [exact]) is None


def test_overlapping_virtual_services_are_sidecar_bound_and_share_a_host() -> None:
    host = "reviews.shop.svc.cluster.local"
    candidates = [
        _vs("exact", "{hosts: [reviews]}"),
        _vs("wild", "{hosts: ['*.cluster.local']}"),
        _vs("gateway-only", "{hosts: [reviews], gateways: [edge/public]}"),
        _vs("other-namespace-short-name", "{hosts: [reviews]}", namespace="billing"),
        _vs("unrelated", "{hosts: [ratings]}"),
    ]
    assert [v.name for v in overlapping_virtual_services(host, candidates)] == ["exact", "wild"]


def test_sidecar_virtual_service_index_finds_what_a_scan_finds() -> None:
    from preflight.istio.hosts import matches
    from preflight.istio.routing import SidecarVirtualServices, overlapping_virtual_services
    from tests.support import snapshot_from_yaml

    snapshot = snapshot_from_yaml(
        """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: exact, namespace: shop}
spec: {hosts: [api.example.com]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wide, namespace: shop}
spec: {hosts: ["*.example.com"]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: other, namespace: shop}
spec: {hosts: [api.example.org]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: gateway-only, namespace: shop}
spec: {hosts: [api.example.com], gateways: [public]}
"""
    )
    services = snapshot.of_kind("VirtualService")
    index = SidecarVirtualServices(services)
    for host in ["api.example.com", "*.example.com", "*.com", "*", "web.example.com", "nothing.test"]:
        expected = {v.name for v in services if v in overlapping_virtual_services(host, services)}
        scanned = {
            v.name
            for v in services
            if v.name != "gateway-only"
            and any(matches(h, host) for h in v.spec["hosts"])
        }
        assert {v.name for v in index.overlapping(host)} == expected == scanned


def test_declared_protocol_follows_istiods_port_conversion() -> None:
    from preflight.istio.routing import declared_protocol, may_carry_http

    assert declared_protocol({"name": "http-web", "port": 80}) == "http"
    assert declared_protocol({"name": "tcp", "port": 9090, "appProtocol": "HTTP"}) == "http"
    assert declared_protocol({"name": "web", "port": 80, "appProtocol": "kubernetes.io/h2c"}) == "http2"
    assert declared_protocol({"name": "grpc-web-ui", "port": 80}) == "grpc-web"
    assert declared_protocol({"name": "GRPC", "port": 80}) == "grpc"
    assert declared_protocol({"name": "auto-tcp", "port": 9092}) is None  # sniffed
    assert declared_protocol({"port": 3306}) == "tcp"  # a well-known TCP port without a protocol name
    assert declared_protocol({"name": "dns", "port": 53, "protocol": "UDP"}) == "udp"
    assert may_carry_http({"name": "auto-tcp", "port": 9092}) and not may_carry_http({"port": 27017})
