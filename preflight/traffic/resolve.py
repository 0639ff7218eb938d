"""Edge-list callers named by their Service: resolved to the workloads behind it.

People write the caller of an edge list as they think of it, often ``shop/cart`` for the
Service rather than the Deployment ``shop/cart-v2`` that sends the calls. Left as it is, no
workload of that name exists, so the caller's sidecar, identity and Sidecar scope would be
lost and identity rules could only answer ``unknown``. When the snapshot has no workload of
that name but a Service of it, the edge is given to the Service's workloads instead: one
edge each, the requests shared out evenly (the list does not say which workload sent how
many), and the report says so. Only edge lists are resolved: Prometheus and Kiali name
workloads themselves.
"""

from __future__ import annotations

from dataclasses import replace

from preflight.snapshot.interface import ServiceRef
from preflight.snapshot.model import Snapshot
from preflight.traffic.interface import Edge, Origin, TrafficData, merge_edges


def resolve_service_sources(traffic: TrafficData, snapshot: Snapshot) -> TrafficData:
    """``traffic`` with edge-list callers that name a Service replaced by that Service's workloads."""
    workloads = {(w.namespace, w.ref.name) for w in snapshot.workloads}
    resolved: dict[ServiceRef, tuple[str, ...]] = {}
    edges: list[Edge] = []
    changed = False
    for edge in traffic.edges:
        source = edge.source
        if (
            edge.origin is not Origin.EDGE_LIST
            or not source.namespace
            or not source.workload
            or (source.namespace, source.workload) in workloads
        ):
            edges.append(edge)
            continue
        service = ServiceRef(source.namespace, source.workload)
        names = resolved.get(service)
        if names is None:
            names = tuple(sorted({w.ref.name for w in snapshot.workloads_of_service(service)}))
            if service not in snapshot.services:
                names = ()
            resolved[service] = names
        if not names:
            edges.append(edge)
            continue
        changed = True
        share, rest = divmod(edge.requests, len(names))
        for index, name in enumerate(names):
            requests = share + (1 if index < rest else 0)
            edges.append(replace(edge, source=replace(source, workload=name), requests=requests))
    if not changed:
        return traffic
    notes = []
    for service, names in sorted(resolved.items()):
        if not names:
            continue
        if len(names) == 1:
            notes.append(f"Edge-list caller {service} is a Service: its workload {service.namespace}/{names[0]} "
                         "is taken as the caller.")
        else:
            listed = ", ".join(f"{service.namespace}/{n}" for n in names)
            notes.append(f"Edge-list caller {service} is a Service: its {len(names)} workloads ({listed}) are taken "
                         "as the callers, its requests shared out evenly between them.")
    return replace(traffic, edges=merge_edges(edges), notes=(*traffic.notes, *notes))
