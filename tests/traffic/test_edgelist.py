"""CSV and YAML edge lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.errors import InputError
from preflight.traffic.interface import Mtls, Origin
from preflight.traffic.loader import load_file, load_traffic


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_csv_rows_become_edges(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "edges.csv",
        "# who calls whom, by hand\n"
        "source,destination,port,protocol,method,path\n"
        "shop/web,shop/cart,8080,,get,/api/cart\n"
        "unknown,reviews.shop.svc.cluster.local,9080,grpc,,\n"
        "spiffe://cluster.local/ns/ops/sa/backup,data/db,5432,tcp,,\n",
    )
    web, outside, backup = load_file(path)
    assert (web.source.namespace, web.source.workload, web.source.in_mesh) == ("shop", "web", None)
    assert str(web.destination.service_ref) == "shop/cart"
    assert web.destination.service_port == 8080
    assert (web.protocol, web.method, web.path) == ("http", "GET", "/api/cart")
    assert web.requests == 1 and web.origin is Origin.EDGE_LIST
    assert web.evidence == (f"{path}:3",)
    assert outside.source.in_mesh is False
    assert str(outside.destination.service_ref) == "shop/reviews" and outside.protocol == "grpc"
    assert backup.source.principal == "spiffe://cluster.local/ns/ops/sa/backup"
    assert backup.source.namespace == "ops" and backup.source.in_mesh is True


def test_csv_detected_by_content_without_suffix(tmp_path: Path) -> None:
    path = _write(tmp_path, "edges.txt", "source,destination\nshop/web,api.example.com\n")
    [edge] = load_file(path)
    assert edge.destination.host == "api.example.com" and edge.destination.service is None
    assert edge.protocol == "unknown"


def test_yaml_list_with_counts_and_mtls(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "edges.yaml",
        "edges:\n"
        "  - source: shop/web\n"
        "    destination: shop/cart\n"
        "    requests: 10\n"
        "    mtls: mutual_tls\n"
        "  - {source: shop/web, destination: shop/cart, requests: 5, mtls: mutual_tls}\n"
        "  - source: shop/*\n"
        "    destination: shop/cart\n",
    )
    traffic = load_traffic([path])
    namespace_wide, merged = traffic.edges
    assert merged.requests == 15 and merged.mtls is Mtls.MUTUAL and len(merged.evidence) == 2
    assert namespace_wide.source.workload is None and namespace_wide.source.namespace == "shop"


def test_json_edge_list(tmp_path: Path) -> None:
    path = _write(tmp_path, "edges.json", '[{"source": "a/b", "destination": "c/d", "port": 80}]')
    [edge] = load_file(path)
    assert edge.destination.service_port == 80


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("source,destination\nshop/web,shop/cart\nshop web,shop/cart\n", 3, "source 'shop web'"),
        ("source,destination,port\n\nshop/web,shop/cart,http\n", 3, "port 'http'"),
        ("source,destination,colour\nshop/web,shop/cart,red\n", 1, "unknown column 'colour'"),
        ("source,destination,method,path\nshop/web,shop/cart,GET,api\n", 2, "must start with '/'"),
        ("source,destination\nshop/web,shop/cart,extra\n", 2, "3 cells for 2 columns"),
        ("source,destination\nshop/web,\n", 2, "missing 'destination'"),
    ],
)
def test_csv_errors_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _write(tmp_path, "edges.csv", text)
    with pytest.raises(InputError) as caught:
        load_file(path)
    assert caught.value.location is not None and caught.value.location.line == line
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("edges:\n  - source: shop/web\n    destination: shop/cart\n  - source: shop/web\n", 4, "missing"),
        ("edges:\n  - source: shop/web\n    destination: [a, b]\n", 3, "single value"),
        ("edges:\n  - source: shop/web\n   destination: x\n", 3, "invalid YAML"),
        ("kind: Deployment\nmetadata: {}\n", 1, "not a traffic file"),
        ("- source: shop/web\n  destination: shop/cart\n  mtls: sometimes\n", 1, "mtls 'sometimes'"),
    ],
)
def test_yaml_errors_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _write(tmp_path, "edges.yaml", text)
    with pytest.raises(InputError) as caught:
        load_file(path)
    assert caught.value.location is not None and caught.value.location.line == line
    assert message in str(caught.value)


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_file(str(tmp_path / "missing.csv"))
    with pytest.raises(InputError, match="empty traffic file"):
        load_file(_write(tmp_path, "blank.yaml", "\n  \n"))
    with pytest.raises(InputError, match="not a traffic file"):
        load_file(_write(tmp_path, "other.json", '{"kind": "List"}'))


@pytest.mark.parametrize(
    ("typed", "mtls"),
    [("true", Mtls.MUTUAL), ("Yes", Mtls.MUTUAL), ("mutual_tls", Mtls.MUTUAL), ("false", Mtls.NONE),
     ("no", Mtls.NONE), ("NONE", Mtls.NONE), ("unknown", Mtls.UNKNOWN)],
)
def test_mtls_accepts_what_people_type(tmp_path: Path, typed: str, mtls: Mtls) -> None:
    csv_path = _write(tmp_path, "edges.csv", f"source,destination,mtls\nshop/web,shop/cart,{typed}\n")
    yaml_path = _write(tmp_path, "edges.yaml", f"- {{source: shop/web, destination: shop/cart, mtls: {typed}}}\n")
    assert load_file(csv_path)[0].mtls is mtls
    assert load_file(yaml_path)[0].mtls is mtls
