"""Kiali graph exports: the JSON Kiali's graph API (``/api/namespaces/graph``) answers.

Shape read: ``{"duration": <seconds>, "graphType": ..., "elements": {"nodes": [{"data":
{...}}], "edges": [{"data": {...}}]}}``. Nodes have a ``nodeType`` (``workload``,
``app``, ``service``, ``unknown``, ``box``...) and ``namespace``/``workload``/``service``;
edges join two node ids and carry ``traffic.protocol``, ``traffic.rates`` (per second),
``isMTLS`` (percentage of the traffic with mutual TLS) and ``sourcePrincipal``.

* Counts are ``rate x duration``: Kiali keeps rates, not counts. HTTP and gRPC rates are
  requests per second; for TCP Kiali gives bytes per second only, so an observed TCP
  edge counts as 1 connection. Edges without traffic (idle edges) are not calls.
* With service nodes injected, a call is ``caller -> service -> workload``: the edge into
  the service is the call, and the service's only workload (when it has one) is the
  destination workload. A ``service -> workload`` hop with no caller recorded becomes a
  call from an unknown caller.
* ``isMTLS`` between 0 and 100 splits the count into a mutual-TLS and a plaintext edge.
* ``unknown`` nodes and nodes Kiali marks out of the mesh are callers outside the mesh.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from preflight.istio.identity import UNKNOWN, normalise_principal
from preflight.traffic.interface import Destination, Edge, Mtls, Origin, Source
from preflight.traffic.reading import path_error

# The rate key that counts calls, per protocol; TCP has none (see the module docstring).
_CALL_RATES = {"http": "http", "grpc": "grpc"}


def is_kiali_graph(document: Any) -> bool:
    elements = document.get("elements") if isinstance(document, Mapping) else None
    return isinstance(elements, Mapping) and ("nodes" in elements or "edges" in elements)


def parse(name: str, text: str, document: Mapping[str, Any]) -> list[Edge]:
    duration = document.get("duration")
    if duration is not None and (not isinstance(duration, int | float) or duration < 0):
        raise path_error(name, text, ["duration"], "must be a number of seconds")
    nodes = _nodes(name, text, document["elements"])
    raw_edges = _edge_data(name, text, document["elements"])
    callers_of: dict[str, int] = defaultdict(int)
    targets_of: dict[str, set[str]] = defaultdict(set)
    for _, data in raw_edges:
        callers_of[data["target"]] += 1
        targets_of[data["source"]].add(data["target"])
    edges: list[Edge] = []
    for index, data in raw_edges:
        source_node, target_node = nodes[data["source"]], nodes[data["target"]]
        if _type(source_node) == "service":
            if callers_of[data["source"]]:
                continue  # the call is the edge into this service
            source = Source(in_mesh=None)
            destination = _destination(source_node, [nodes[t] for t in targets_of[data["source"]]])
            destination = replace(destination, workload=_known(target_node.get("workload")))
        else:
            source = _source(source_node, data)
            following = []
            if _type(target_node) == "service":
                following = [nodes[t] for t in targets_of[data["target"]]]
            destination = _destination(target_node, following)
        edges.extend(_counted(name, text, index, data, source, destination, duration))
    return edges


def _nodes(name: str, text: str, elements: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    raw = elements.get("nodes") or []
    if not isinstance(raw, list):
        raise path_error(name, text, ["elements", "nodes"], "must be a list")
    nodes: dict[str, Mapping[str, Any]] = {}
    for index, wrapper in enumerate(raw):
        data = wrapper.get("data") if isinstance(wrapper, Mapping) else None
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
            raise path_error(name, text, ["elements", "nodes", index], "a node needs 'data' with an 'id'")
        nodes[data["id"]] = data
    return nodes


def _edge_data(name: str, text: str, elements: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    raw = elements.get("edges") or []
    if not isinstance(raw, list):
        raise path_error(name, text, ["elements", "edges"], "must be a list")
    nodes = {
        w["data"]["id"] for w in elements.get("nodes") or [] if isinstance(w, Mapping) and "data" in w
    }
    found: list[tuple[int, Mapping[str, Any]]] = []
    for index, wrapper in enumerate(raw):
        path: list[str | int] = ["elements", "edges", index]
        data = wrapper.get("data") if isinstance(wrapper, Mapping) else None
        if not isinstance(data, Mapping):
            raise path_error(name, text, path, "an edge needs 'data'")
        for end in ("source", "target"):
            if data.get(end) not in nodes:
                raise path_error(name, text, [*path, "data", end], f"names no node: {data.get(end)!r}")
        found.append((index, data))
    return found


def _type(node: Mapping[str, Any]) -> str:
    return str(node.get("nodeType") or "")


def _known(value: Any) -> str | None:
    return str(value) if value and value != UNKNOWN else None


def _source(node: Mapping[str, Any], edge: Mapping[str, Any]) -> Source:
    principal = normalise_principal(edge.get("sourcePrincipal"))
    outside = _type(node) == "unknown" or bool(node.get("isOutOfMesh") or node.get("hasMissingSC"))
    workload = _known(node.get("workload")) if _type(node) != "unknown" else None
    return Source(
        namespace=_known(node.get("namespace")) if _type(node) != "unknown" else None,
        workload=workload,
        principal=principal,
        in_mesh=not outside or principal is not None,
    )


def _destination(node: Mapping[str, Any], following: list[Mapping[str, Any]]) -> Destination:
    namespace = _known(node.get("namespace"))
    if _type(node) == "service":
        service = _known(node.get("service"))
        workloads = {str(n.get("workload")) for n in following if _known(n.get("workload"))}
        workload = workloads.pop() if len(workloads) == 1 else None
        if node.get("isServiceEntry"):
            return Destination(namespace=namespace, workload=workload, host=service)
        return Destination(namespace=namespace, service=service, workload=workload)
    services = [s for s in node.get("destServices") or [] if isinstance(s, Mapping) and s.get("name")]
    service = _known(services[0].get("name")) if len(services) == 1 else None
    service_namespace = _known(services[0].get("namespace")) if len(services) == 1 else None
    return Destination(
        namespace=service_namespace or namespace,
        service=service,
        workload=_known(node.get("workload")),
    )


def _counted(
    name: str,
    text: str,
    index: int,
    data: Mapping[str, Any],
    source: Source,
    destination: Destination,
    duration: float | None,
) -> list[Edge]:
    path: list[str | int] = ["elements", "edges", index, "data"]
    traffic = _mapping(data.get("traffic"))
    protocol = str(traffic.get("protocol") or "unknown").lower()
    rates = _mapping(traffic.get("rates"))
    if not any(_rate(name, text, [*path, "traffic", "rates", k], v) > 0 for k, v in rates.items()):
        return []  # an idle edge: configured or seen earlier, no call in the window
    rate_key = _CALL_RATES.get(protocol)
    rate = _rate(name, text, [*path, "traffic", "rates", rate_key], rates.get(rate_key)) if rate_key else 0.0
    count = max(1, round(rate * duration)) if rate and duration else 1
    edge = Edge(
        source=source,
        destination=destination,
        protocol=protocol,
        requests=count,
        origin=Origin.KIALI,
        evidence=(f"{name} elements.edges[{index}]",),
    )
    share = _mtls_share(name, text, [*path, "isMTLS"], data.get("isMTLS"))
    if share is None:
        return [edge]
    if share >= 100:
        return [replace(edge, mtls=Mtls.MUTUAL)]
    if share <= 0:
        return [replace(edge, mtls=Mtls.NONE)]
    mutual = max(1, round(count * share / 100))
    plaintext = max(1, count - mutual)
    return [
        replace(edge, mtls=Mtls.MUTUAL, requests=mutual),
        replace(edge, mtls=Mtls.NONE, requests=plaintext),
    ]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _rate(name: str, text: str, path: list[str | int], value: Any) -> float:
    if value is None:
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise path_error(name, text, path, f"{value!r} is not a rate") from None
    if math.isnan(number) or math.isinf(number) or number < 0:
        raise path_error(name, text, path, f"{value!r} is not a rate")
    return number


def _mtls_share(name: str, text: str, path: list[str | int], value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise path_error(name, text, path, f"{value!r} is not a percentage") from None
