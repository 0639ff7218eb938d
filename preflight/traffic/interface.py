"""Who talks to whom: the edges every traffic source is read into.

An ``Edge`` is one kind of call seen (or declared) from a caller to a destination. The
simulator evaluates each edge against the policies of the source and target versions.

Unknown parts are ``None``, never a made-up value: Prometheus reports ``unknown`` for a
caller outside the mesh, which becomes ``Source(namespace=None, workload=None,
principal=None, in_mesh=False)``. Identical edges of one origin are merged by summing
their counts; edges of different origins are kept apart so a Prometheus export and a
Kiali export of the same cluster are not counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from preflight.istio.identity import Identity, parse_identity
from preflight.snapshot.interface import ServiceRef


class Origin(StrEnum):
    PROMETHEUS = "prometheus"
    KIALI = "kiali"
    EDGE_LIST = "edge-list"
    DECLARED = "declared"  # named by configuration, not observed


class Mtls(StrEnum):
    """How the connection was secured, as Istio's ``connection_security_policy`` says."""

    MUTUAL = "mutual_tls"
    NONE = "none"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Source:
    """The caller. ``in_mesh`` is ``None`` when the data does not say (edge lists, declared edges)."""

    namespace: str | None = None
    workload: str | None = None
    principal: str | None = None  # spiffe://<trust-domain>/ns/<ns>/sa/<sa>; None when unknown or plaintext
    in_mesh: bool | None = None

    @property
    def identity(self) -> Identity | None:
        return parse_identity(self.principal)

    @property
    def known(self) -> bool:
        """Does the data name the caller at all (a workload, a namespace or an identity)?"""
        return bool(self.workload or self.namespace or self.principal)

    def __str__(self) -> str:
        if self.workload:
            return f"{self.namespace or '?'}/{self.workload}"
        if self.principal:
            return self.principal
        if self.namespace:
            return f"{self.namespace}/*"
        return "unknown"


@dataclass(frozen=True, slots=True)
class Destination:
    """The callee.

    ``service_port`` is the port the caller dials (a Service port); ``target_port`` the
    port the destination workload receives on, which AuthorizationPolicy ``ports`` match.
    ``host`` keeps the name the data reported when it is not a Kubernetes Service
    (a ServiceEntry host, ``PassthroughCluster``).
    """

    namespace: str | None = None
    service: str | None = None
    workload: str | None = None
    service_port: int | None = None
    target_port: int | None = None
    host: str | None = None

    @property
    def service_ref(self) -> ServiceRef | None:
        if self.namespace and self.service:
            return ServiceRef(self.namespace, self.service)
        return None

    def __str__(self) -> str:
        if self.service:
            text = f"{self.namespace or '?'}/{self.service}"
        elif self.workload:
            text = f"{self.namespace or '?'}/{self.workload} (workload)"
        else:
            text = self.host or "unknown"
        port = self.service_port or self.target_port
        return f"{text}:{port}" if port else text


@dataclass(frozen=True, slots=True)
class Edge:
    source: Source
    destination: Destination
    protocol: str  # "http", "grpc", "tcp", "tls", or "unknown"
    requests: int  # requests (HTTP/gRPC) or connections opened (TCP); 0 when declared
    method: str | None = None
    path: str | None = None
    mtls: Mtls = Mtls.UNKNOWN
    origin: Origin = Origin.EDGE_LIST
    evidence: tuple[str, ...] = field(default=(), compare=False)  # "file:line" or the declaring object

    @property
    def key(self) -> tuple[object, ...]:
        """What makes two edges the same edge; everything but the count and the evidence."""
        return (self.source, self.destination, self.protocol, self.method, self.path, self.mtls, self.origin)

    def __str__(self) -> str:
        what = self.protocol
        if self.method or self.path:
            what += f" {self.method or '*'} {self.path or '*'}"
        return f"{self.source} -> {self.destination} [{what}]"


@dataclass(frozen=True)
class TrafficData:
    """The edges of every input, merged, with how complete they are."""

    edges: tuple[Edge, ...] = ()
    sources: tuple[str, ...] = ()  # files read, or "snapshot" for declared edges
    partial: bool = False  # True when edges are declared, not observed
    notes: tuple[str, ...] = ()  # sentences for the report

    @property
    def origins(self) -> tuple[Origin, ...]:
        return tuple(sorted({edge.origin for edge in self.edges}, key=lambda o: o.value))

    def edges_to(self, service: ServiceRef) -> list[Edge]:
        return [e for e in self.edges if e.destination.service_ref == service]

    def edges_from(self, namespace: str, workload: str) -> list[Edge]:
        return [e for e in self.edges if e.source.namespace == namespace and e.source.workload == workload]


def merge_edges(edges: Iterable[Edge]) -> tuple[Edge, ...]:
    """Same edge seen more than once (several series, files or rows): one edge, counts summed."""
    merged: dict[tuple[object, ...], Edge] = {}
    for edge in edges:
        seen = merged.get(edge.key)
        if seen is None:
            merged[edge.key] = edge
            continue
        evidence = seen.evidence + tuple(e for e in edge.evidence if e not in seen.evidence)
        merged[edge.key] = replace(seen, requests=seen.requests + edge.requests, evidence=evidence)
    return tuple(sorted(merged.values(), key=edge_sort_key))


def edge_sort_key(edge: Edge) -> tuple[str, ...]:
    """A stable order for output; unknown parts sort first."""
    src, dst = edge.source, edge.destination
    parts = (
        src.namespace, src.workload, src.principal, dst.namespace, dst.service, dst.workload, dst.host,
        f"{dst.service_port or 0:05d}", f"{dst.target_port or 0:05d}", edge.protocol, edge.method,
        edge.path, edge.mtls.value, edge.origin.value, str(src.in_mesh),
    )
    return tuple(p or "" for p in parts)
