"""``--traffic FILE``: every traffic file, detected by content, read into one ``TrafficData``.

* JSON with ``status`` and ``data.resultType``: a Prometheus query result (``prometheus.py``).
* JSON with ``elements.nodes``/``elements.edges``: a Kiali graph (``kiali.py``).
* A CSV with a ``source,destination`` header, or a YAML/JSON list of edges (``edgelist.py``).

A set of files that holds no call at all is refused: an empty export (wrong Prometheus,
wrong window) would otherwise pass a gate on "nothing talks to anything".
"""

from __future__ import annotations

from collections.abc import Iterable

from preflight.errors import InputError, Location
from preflight.traffic import edgelist, kiali, prometheus
from preflight.traffic.interface import Edge, TrafficData, merge_edges
from preflight.traffic.reading import parse_json, read_text

NOT_TRAFFIC = "not a traffic file: expected a Prometheus query result, a Kiali graph or an edge list"


def load_traffic(paths: Iterable[str]) -> TrafficData:
    names = list(paths)
    edges: list[Edge] = []
    for name in names:
        edges.extend(load_file(name))
    if names and not edges:
        raise InputError(
            "the traffic files hold no call (an empty query result or graph); "
            "check the Prometheus URL and window, or leave --traffic out to use declared edges",
            Location(names[0]),
        )
    merged = merge_edges(edges)
    outside = sum(1 for edge in merged if edge.source.in_mesh is False)
    notes: tuple[str, ...] = ()
    if outside:
        notes = (f"{outside} observed edge(s) come from callers outside the mesh (no workload identity).",)
    return TrafficData(edges=merged, sources=tuple(names), partial=False, notes=notes)


def load_file(name: str) -> list[Edge]:
    text = read_text(name)
    stripped = text.lstrip()
    if not stripped:
        raise InputError("empty traffic file", Location(name, 1))
    if stripped[0] in "{[":
        document = parse_json(name, text)
        if prometheus.is_prometheus_result(document):
            return prometheus.parse(name, text, document)
        if kiali.is_kiali_graph(document):
            return kiali.parse(name, text, document)
        if edgelist.is_edge_list(document):
            return edgelist.parse_yaml(name, text)  # JSON is YAML; its nodes carry line numbers
        raise InputError(NOT_TRAFFIC, Location(name, 1))
    if edgelist.looks_like_csv(name, text):
        return edgelist.parse_csv(name, text)
    return edgelist.parse_yaml(name, text)
