"""Prometheus instant-query results read into edges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from preflight.errors import InputError
from preflight.traffic.interface import Mtls, Origin
from preflight.traffic.loader import load_file, load_traffic


def _sample(value: str, **labels: str) -> dict[str, object]:
    return {"metric": labels, "value": [1717000000.123, value]}


def _write(tmp_path: Path, result: list[dict[str, object]], name: str = "prom.json") -> str:
    path = tmp_path / name
    document = {"status": "success", "data": {"resultType": "vector", "result": result}}
    path.write_text(json.dumps(document, indent=2))
    return str(path)


CHECKOUT_TO_PAYMENTS = {
    "__name__": "istio_requests_total",
    "source_workload": "checkout",
    "source_workload_namespace": "shop",
    "source_principal": "spiffe://cluster.local/ns/shop/sa/checkout-sa",
    "destination_workload": "payments-v2",
    "destination_workload_namespace": "billing",
    "destination_service": "payments.billing.svc.cluster.local",
    "destination_service_name": "payments",
    "destination_service_namespace": "billing",
    "request_protocol": "http",
    "connection_security_policy": "mutual_tls",
}


def test_a_destination_report_becomes_one_edge_with_identity_and_mtls(tmp_path: Path) -> None:
    path = _write(tmp_path, [_sample("41.7", reporter="destination", **CHECKOUT_TO_PAYMENTS)])
    [edge] = load_file(path)
    assert edge.source.namespace == "shop"
    assert edge.source.workload == "checkout"
    assert edge.source.principal == "spiffe://cluster.local/ns/shop/sa/checkout-sa"
    assert edge.source.identity is not None and edge.source.identity.service_account == "checkout-sa"
    assert edge.source.in_mesh is True
    assert str(edge.destination.service_ref) == "billing/payments"
    assert edge.destination.workload == "payments-v2"
    assert edge.protocol == "http"
    assert edge.requests == 42
    assert edge.mtls is Mtls.MUTUAL
    assert edge.origin is Origin.PROMETHEUS


def test_destination_report_wins_over_the_source_report_of_the_same_call(tmp_path: Path) -> None:
    source_side = dict(CHECKOUT_TO_PAYMENTS, connection_security_policy="unknown", source_principal="unknown")
    path = _write(
        tmp_path,
        [
            _sample("40", reporter="source", **source_side),
            _sample("42", reporter="destination", **CHECKOUT_TO_PAYMENTS),
        ],
    )
    [edge] = load_file(path)
    assert edge.requests == 42
    assert edge.mtls is Mtls.MUTUAL


def test_a_source_report_alone_is_used_when_the_destination_has_no_proxy(tmp_path: Path) -> None:
    labels = dict(CHECKOUT_TO_PAYMENTS, connection_security_policy="unknown", destination_workload="legacy")
    path = _write(tmp_path, [_sample("7", reporter="source", **labels)])
    [edge] = load_file(path)
    assert edge.requests == 7
    assert edge.mtls is Mtls.UNKNOWN
    assert edge.destination.workload == "legacy"


def test_unknown_caller_is_outside_the_mesh_without_identity(tmp_path: Path) -> None:
    labels = dict(
        CHECKOUT_TO_PAYMENTS,
        source_workload="unknown",
        source_workload_namespace="unknown",
        source_principal="unknown",
        connection_security_policy="none",
    )
    [edge] = load_file(_write(tmp_path, [_sample("3", reporter="destination", **labels)]))
    assert edge.source.workload is None and edge.source.namespace is None and edge.source.principal is None
    assert edge.source.in_mesh is False
    assert not edge.source.known
    assert edge.mtls is Mtls.NONE
    assert str(edge.source) == "unknown"


def test_tcp_connections_and_destination_port(tmp_path: Path) -> None:
    labels = dict(
        CHECKOUT_TO_PAYMENTS,
        __name__="istio_tcp_connections_opened_total",
        request_protocol="tcp",
        destination_port="5432",
    )
    [edge] = load_file(_write(tmp_path, [_sample("12", reporter="destination", **labels)]))
    assert edge.protocol == "tcp"
    assert edge.requests == 12
    assert edge.destination.target_port == 5432


def test_series_without_calls_in_the_window_are_not_edges(tmp_path: Path) -> None:
    other = dict(CHECKOUT_TO_PAYMENTS, source_workload="cart")
    path = _write(
        tmp_path,
        [_sample("0", reporter="destination", **CHECKOUT_TO_PAYMENTS), _sample("0.3", **other)],
    )
    [edge] = load_file(path)
    assert edge.source.workload == "cart"
    assert edge.requests == 1  # an extrapolated fraction is still a call


def test_passthrough_traffic_keeps_its_host(tmp_path: Path) -> None:
    labels = dict(
        CHECKOUT_TO_PAYMENTS,
        destination_service="PassthroughCluster",
        destination_service_name="PassthroughCluster",
        destination_service_namespace="unknown",
        destination_workload="unknown",
        destination_workload_namespace="unknown",
    )
    [edge] = load_file(_write(tmp_path, [_sample("5", reporter="source", **labels)]))
    assert edge.destination.service is None and edge.destination.service_ref is None
    assert edge.destination.host == "PassthroughCluster"


def test_repeated_series_across_files_are_merged_by_summing(tmp_path: Path) -> None:
    first = _write(tmp_path, [_sample("10", reporter="destination", **CHECKOUT_TO_PAYMENTS)], "a.json")
    second = _write(tmp_path, [_sample("5", reporter="destination", **CHECKOUT_TO_PAYMENTS)], "b.json")
    traffic = load_traffic([first, second])
    [edge] = traffic.edges
    assert edge.requests == 15
    assert len(edge.evidence) == 2
    assert traffic.partial is False
    assert traffic.origins == (Origin.PROMETHEUS,)


def test_a_bad_value_names_file_and_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _sample("1", reporter="destination", **CHECKOUT_TO_PAYMENTS),
            _sample("lots", reporter="destination", **CHECKOUT_TO_PAYMENTS),
        ],
    )
    lines = Path(path).read_text().splitlines()
    second_value = [i for i, line in enumerate(lines, start=1) if '"value"' in line][1]
    with pytest.raises(InputError) as caught:
        load_file(path)
    assert caught.value.location is not None
    assert caught.value.location.file == path
    assert caught.value.location.line == second_value
    assert "'lots' is not a number" in str(caught.value)


def test_series_without_destination_labels_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, [_sample("10", __name__="istio_requests_total")])
    with pytest.raises(InputError, match="no destination label"):
        load_file(path)


def test_other_metrics_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, [_sample("10", **dict(CHECKOUT_TO_PAYMENTS, __name__="istio_request_bytes_sum"))])
    with pytest.raises(InputError, match="istio_request_bytes_sum"):
        load_file(path)


def test_failed_query_and_range_results_are_refused(tmp_path: Path) -> None:
    failed = tmp_path / "failed.json"
    failed.write_text('{"status": "error", "errorType": "bad_data", "error": "parse error"}')
    with pytest.raises(InputError, match="parse error"):
        load_file(str(failed))
    matrix = tmp_path / "matrix.json"
    matrix.write_text('{"status": "success",\n "data": {"resultType": "matrix", "result": []}}')
    with pytest.raises(InputError) as caught:
        load_file(str(matrix))
    assert "instant query" in str(caught.value)
    assert caught.value.location is not None and caught.value.location.line == 2


def test_invalid_json_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"status": "success",\n "data": {"resultType": "vector",\n "result": [,]}}')
    with pytest.raises(InputError) as caught:
        load_file(str(path))
    assert str(caught.value).startswith(f"{path}:3: invalid JSON")


def test_an_empty_export_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="hold no call"):
        load_traffic([_write(tmp_path, [])])
