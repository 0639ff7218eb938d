"""Kiali graph exports read into edges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from preflight.errors import InputError
from preflight.traffic.interface import Mtls, Origin
from preflight.traffic.loader import load_file


def _node(node_id: str, node_type: str, namespace: str, **extra: Any) -> dict[str, Any]:
    return {"data": {"id": node_id, "nodeType": node_type, "namespace": namespace, **extra}}


def _edge(source: str, target: str, protocol: str, rates: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"data": {"id": f"{source}-{target}", "source": source, "target": target,
                     "traffic": {"protocol": protocol, "rates": rates}, **extra}}


def _graph(tmp_path: Path, nodes: list[Any], edges: list[Any], duration: int = 600) -> str:
    path = tmp_path / "graph.json"
    document = {"timestamp": 1717000000, "duration": duration, "graphType": "workload",
                "elements": {"nodes": nodes, "edges": edges}}
    path.write_text(json.dumps(document, indent=2))
    return str(path)


NODES = [
    _node("web", "workload", "shop", workload="web", app="web"),
    _node("svc-cart", "service", "shop", service="cart"),
    _node("cart", "workload", "shop", workload="cart-v1", app="cart"),
    _node("outside", "unknown", "unknown", workload="unknown"),
    _node("svc-db", "service", "data", service="db"),
    _node("db", "workload", "data", workload="postgres"),
]


def test_caller_to_service_to_workload_is_one_call(tmp_path: Path) -> None:
    edges = [
        _edge("web", "svc-cart", "http", {"http": "0.5", "httpPercentReq": "100.0"}, isMTLS="100",
              sourcePrincipal="spiffe://cluster.local/ns/shop/sa/web"),
        _edge("svc-cart", "cart", "http", {"http": "0.5"}),
    ]
    [edge] = load_file(_graph(tmp_path, NODES, edges))
    assert str(edge.source) == "shop/web"
    assert edge.source.principal == "spiffe://cluster.local/ns/shop/sa/web"
    assert edge.source.in_mesh is True
    assert edge.destination.service == "cart" and edge.destination.namespace == "shop"
    assert edge.destination.workload == "cart-v1"
    assert edge.requests == 300  # 0.5/s over 600 s
    assert edge.mtls is Mtls.MUTUAL
    assert edge.origin is Origin.KIALI


def test_unknown_node_is_a_caller_outside_the_mesh_and_mtls_share_splits(tmp_path: Path) -> None:
    edges = [_edge("outside", "svc-cart", "http", {"http": "1"}, isMTLS="25")]
    found = sorted(load_file(_graph(tmp_path, NODES, edges, duration=100)), key=lambda e: e.mtls.value)
    assert [(e.mtls, e.requests) for e in found] == [(Mtls.MUTUAL, 25), (Mtls.NONE, 75)]
    assert all(e.source.in_mesh is False and not e.source.known for e in found)


def test_tcp_edges_count_one_connection_and_idle_edges_are_dropped(tmp_path: Path) -> None:
    edges = [
        _edge("cart", "svc-db", "tcp", {"tcp": "1530.2"}),
        _edge("svc-db", "db", "tcp", {"tcp": "1530.2"}),
        _edge("web", "svc-db", "tcp", {}),
    ]
    [edge] = load_file(_graph(tmp_path, NODES, edges))
    assert edge.protocol == "tcp"
    assert edge.requests == 1
    assert str(edge.source) == "shop/cart-v1"
    assert edge.destination.workload == "postgres"
    assert edge.mtls is Mtls.UNKNOWN


def test_service_hop_without_recorded_caller_has_an_unknown_source(tmp_path: Path) -> None:
    [edge] = load_file(_graph(tmp_path, NODES, [_edge("svc-db", "db", "grpc", {"grpc": "2"})], duration=10))
    assert edge.source.in_mesh is None and not edge.source.known
    assert edge.destination.service == "db" and edge.destination.workload == "postgres"
    assert edge.requests == 20


def test_edge_to_a_missing_node_names_the_line(tmp_path: Path) -> None:
    path = _graph(tmp_path, NODES, [_edge("web", "nowhere", "http", {"http": "1"})])
    lines = Path(path).read_text().splitlines()
    target_line = next(i for i, line in enumerate(lines, start=1) if '"target": "nowhere"' in line)
    with pytest.raises(InputError) as caught:
        load_file(path)
    assert caught.value.location is not None and caught.value.location.line == target_line
    assert "names no node" in str(caught.value)


def test_a_rate_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    path = _graph(tmp_path, NODES, [_edge("web", "svc-cart", "http", {"http": "fast"})])
    with pytest.raises(InputError, match="'fast' is not a rate"):
        load_file(path)
