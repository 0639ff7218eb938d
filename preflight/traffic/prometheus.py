"""Prometheus instant-query results over Istio's standard metrics.

Reads the JSON the Prometheus HTTP API answers to ``/api/v1/query``
(``{"status": "success", "data": {"resultType": "vector", "result": [...]}}``) for
``istio_requests_total`` (HTTP and gRPC requests) and
``istio_tcp_connections_opened_total`` (TCP connections), summed by the labels below;
the sample value is the count over the window.

* Both proxies of a call report it (``reporter="source"`` and ``"destination"``). When a
  call has both, only the destination's report is used: it saw the caller's certificate,
  so its ``source_principal`` and ``connection_security_policy`` are the ones that count.
* ``unknown`` means the proxy could not tell: a ``source_workload`` of ``unknown`` is a
  caller outside the mesh (no identity, ``in_mesh`` false) unless it still presented a
  mesh certificate.
* ``PassthroughCluster``/``BlackHoleCluster`` and ServiceEntry hosts keep their name in
  ``Destination.host``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from preflight.istio.identity import UNKNOWN, normalise_principal, parse_identity
from preflight.traffic.interface import Destination, Edge, Mtls, Origin, Source
from preflight.traffic.reading import path_error

REQUESTS_METRIC = "istio_requests_total"
TCP_CONNECTIONS_METRIC = "istio_tcp_connections_opened_total"
METRICS = (REQUESTS_METRIC, TCP_CONNECTIONS_METRIC)
EDGE_LABELS = (
    "reporter",
    "source_workload",
    "source_workload_namespace",
    "source_principal",
    "destination_workload",
    "destination_workload_namespace",
    "destination_service",
    "destination_service_name",
    "destination_service_namespace",
    "request_protocol",
    "connection_security_policy",
    "destination_port",
)
_DESTINATION_LABELS = ("destination_service", "destination_service_name", "destination_workload")


def query(metric: str, window: str) -> str:
    """The PromQL that counts one metric over ``window`` by every label an edge needs."""
    return f"sum by ({', '.join(EDGE_LABELS)}) (increase({metric}[{window}]))"


def is_prometheus_result(document: Any) -> bool:
    if not isinstance(document, Mapping) or "status" not in document:
        return False
    data = document.get("data")
    # A failed query answers {"status": "error", "errorType": ..., "error": ...} without data.
    return (isinstance(data, Mapping) and "resultType" in data) or "errorType" in document


def parse(name: str, text: str, document: Mapping[str, Any]) -> list[Edge]:
    if document.get("status") != "success":
        reason = document.get("error") or document.get("errorType") or document.get("status")
        raise path_error(name, text, ["status"], f"the query failed: {reason}")
    data = document["data"]
    if data.get("resultType") != "vector":
        raise path_error(
            name,
            text,
            ["data", "resultType"],
            f"is {data.get('resultType')!r}; expected an instant query ('vector'), "
            "as 'preflight traffic export' writes",
        )
    result = data.get("result")
    if not isinstance(result, list):
        raise path_error(name, text, ["data", "result"], "must be a list of samples")
    reports: dict[tuple[object, ...], dict[str, list[Edge]]] = defaultdict(lambda: defaultdict(list))
    # A caller appears in about as many series as it has destinations, and a destination in as
    # many as it has callers: one shared record each keeps a large export's memory proportional
    # to workloads rather than to series.
    shared: dict[object, Any] = {}
    for index, sample in enumerate(result):
        path: list[str | int] = ["data", "result", index]
        edge, reporter = _edge_of(name, text, path, sample)
        if edge is None:
            continue
        edge = replace(
            edge,
            source=shared.setdefault(edge.source, edge.source),
            destination=shared.setdefault(edge.destination, edge.destination),
        )
        call = (edge.source.namespace, edge.source.workload, edge.destination.namespace,
                edge.destination.service, edge.destination.workload, edge.destination.host, edge.protocol)
        reports[call][reporter].append(edge)
    edges: list[Edge] = []
    for by_reporter in reports.values():
        preferred = by_reporter.get("destination")
        edges.extend(preferred if preferred else [e for group in by_reporter.values() for e in group])
    return edges


def _edge_of(name: str, text: str, path: list[str | int], sample: Any) -> tuple[Edge | None, str]:
    if not isinstance(sample, Mapping) or not isinstance(sample.get("metric"), Mapping):
        raise path_error(name, text, path, "a sample must have a 'metric' mapping and a 'value'")
    labels = {str(k): str(v) for k, v in sample["metric"].items()}
    metric = labels.get("__name__")
    if metric is not None and metric not in METRICS:
        expected = ", ".join(METRICS)
        raise path_error(name, text, [*path, "metric"], f"series of {metric}; expected one of {expected}")
    if not any(labels.get(label) for label in _DESTINATION_LABELS):
        raise path_error(
            name, text, [*path, "metric"],
            "has no destination label; sum by the labels 'preflight traffic export' uses",
        )
    count = _count(name, text, [*path, "value"], sample.get("value"))
    if count == 0:
        return None, ""  # the series existed but carried no call in the window
    protocol = labels.get("request_protocol", "").lower()
    if not protocol:
        protocol = {TCP_CONNECTIONS_METRIC: "tcp", REQUESTS_METRIC: "http"}.get(metric or "", "unknown")
    edge = Edge(
        source=_source(labels),
        destination=_destination(name, text, path, labels),
        protocol=protocol,
        requests=count,
        mtls=_mtls(labels.get("connection_security_policy")),
        origin=Origin.PROMETHEUS,
        evidence=(f"{name} data.result[{path[-1]}]",),
    )
    return edge, labels.get("reporter", "")


def _count(name: str, text: str, path: list[str | int], value: Any) -> int:
    if not isinstance(value, list) or len(value) != 2:
        raise path_error(name, text, path, "must be [<timestamp>, \"<number>\"]")
    try:
        number = float(value[1])
    except (TypeError, ValueError):
        raise path_error(name, text, path, f"{value[1]!r} is not a number") from None
    if math.isnan(number):
        return 0
    if math.isinf(number) or number < 0:
        raise path_error(name, text, path, f"{value[1]!r} is not a count")
    # increase() extrapolates, so one call may read as 0.4; any positive value is a call.
    return max(1, round(number)) if number > 0 else 0


def _known(value: str | None) -> str | None:
    return value if value and value != UNKNOWN else None


def _source(labels: Mapping[str, str]) -> Source:
    principal = normalise_principal(labels.get("source_principal"))
    identity = parse_identity(principal)
    workload = _known(labels.get("source_workload"))
    namespace = _known(labels.get("source_workload_namespace")) or (identity.namespace if identity else None)
    return Source(
        namespace=namespace,
        workload=workload,
        principal=principal,
        in_mesh=bool(workload or identity),
    )


def _destination(name: str, text: str, path: list[str | int], labels: Mapping[str, str]) -> Destination:
    port: int | None = None
    raw_port = _known(labels.get("destination_port"))
    if raw_port:
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise path_error(name, text, [*path, "metric", "destination_port"], f"{raw_port!r} is not a port")
        port = int(raw_port)
    service = _known(labels.get("destination_service_name"))
    service_namespace = _known(labels.get("destination_service_namespace"))
    workload_namespace = _known(labels.get("destination_workload_namespace"))
    return Destination(
        namespace=service_namespace or workload_namespace,
        service=service if service_namespace else None,
        workload=_known(labels.get("destination_workload")),
        target_port=port,
        host=_known(labels.get("destination_service")) or (service if not service_namespace else None),
    )


def _mtls(policy: str | None) -> Mtls:
    if policy == "mutual_tls":
        return Mtls.MUTUAL
    if policy == "none":
        return Mtls.NONE
    return Mtls.UNKNOWN
