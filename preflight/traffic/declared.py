"""Declared edges: who talks to whom according to configuration, when no traffic data is given.

Coverage is partial: a caller that no configuration names is missing, and a named caller
may never call. Read from the snapshot:

* AuthorizationPolicy with action ALLOW: each rule's ``from.source.principals`` (matched
  to workloads through their service accounts and the trust domain) and
  ``from.source.namespaces`` (every workload of the namespace) are callers of the
  services of the workloads the policy applies to; ``to.operation`` ``methods``,
  ``paths`` and ``ports`` (workload ports) narrow the edge. ``*`` names no one in
  particular and gives no edge; ``not...`` fields are ignored.
* VirtualService routes: the workloads of each Istio Gateway listed in ``gateways`` (its
  ``selector``, in every namespace) call the route destinations; a VirtualService bound to
  ``mesh`` gives edges from an unnamed meshed caller. ``port.number`` is the Service port.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

from preflight.istio.authorization import policy_action
from preflight.istio.cluster import Cluster
from preflight.istio.hosts import resolve_short_name
from preflight.istio.identity import PrincipalIndex, parse_identity
from preflight.istio.matching import ValueIndex
from preflight.istio.routing import ROUTE_SECTIONS
from preflight.snapshot.interface import K8sObject, ObjectRef, Workload, list_at, string_map
from preflight.traffic.interface import Destination, Edge, Origin, Source, TrafficData, merge_edges

PARTIAL_COVERAGE_NOTE = (
    "No traffic data was given: edges are those declared in AuthorizationPolicies and "
    "VirtualService routes (including gateways), so coverage is partial. "
    "Pass --traffic with a Prometheus export, a Kiali graph or an edge list for observed calls."
)
_ISTIO_GATEWAY_GROUP = "networking.istio.io"


def declared_traffic(cluster: Cluster) -> TrafficData:
    finder = _Declared(cluster)
    edges = [*finder.authorization_edges(), *finder.route_edges()]
    return TrafficData(
        edges=merge_edges(edges), sources=("snapshot",), partial=True, notes=(PARTIAL_COVERAGE_NOTE,)
    )


class _Declared:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.snapshot = cluster.snapshot
        self.scope = cluster.scope
        self._sources: dict[ObjectRef, Source] = {}

    # Callers ----------------------------------------------------------------------------

    def source_of(self, workload: Workload) -> Source:
        found = self._sources.get(workload.ref)
        if found is None:
            in_mesh = self.cluster.membership(workload).in_mesh
            principal = self.cluster.identity(workload).spiffe_id if in_mesh else None
            found = self._sources[workload.ref] = Source(workload.namespace, workload.ref.name, principal, in_mesh)
        return found

    @cached_property
    def _workloads_by_identity(self) -> PrincipalIndex[Workload]:
        return PrincipalIndex(
            (self.cluster.identity(w).spiffe_id, w) for w in self.snapshot.workloads
        )

    @cached_property
    def _namespaces(self) -> ValueIndex[str]:
        return ValueIndex((namespace, namespace) for namespace in self.snapshot.namespaces)

    def callers_by_principal(self, pattern: str) -> list[Source]:
        if pattern.strip() in ("", "*"):
            return []
        found = [self.source_of(w) for w in self._workloads_by_identity.matching(pattern)]
        identity = parse_identity(pattern)
        if not found and identity is not None:
            return [Source(namespace=identity.namespace, principal=identity.spiffe_id, in_mesh=True)]
        return found

    def callers_by_namespace(self, pattern: str) -> list[Source]:
        if pattern.strip() in ("", "*"):
            return []
        namespaces = self._namespaces.matching(pattern)
        if not namespaces and "*" not in pattern:
            return [Source(namespace=pattern)]
        found: list[Source] = []
        for namespace in namespaces:
            workloads = self.snapshot.workloads_in(namespace)
            found.extend(self.source_of(w) for w in workloads)
            if not workloads:
                found.append(Source(namespace=namespace))
        return found

    # AuthorizationPolicy ------------------------------------------------------------------

    def authorization_edges(self) -> Iterator[Edge]:
        for policy in self.snapshot.of_kind("AuthorizationPolicy"):
            if policy_action(policy) != "ALLOW":
                continue
            destinations = self.policy_destinations(policy)
            evidence = (_evidence(policy),)  # one tuple shared by every edge the policy declares
            for rule in list_at(policy.spec, "rules"):
                if not isinstance(rule, Mapping):
                    continue
                callers = self.rule_callers(rule)
                # What differs per edge is only the caller: the rule's operations and the destinations
                # they narrow are worked out once per rule, and their objects shared by its edges.
                reached = [
                    (_with_target_port(destination, port), method, path, "http" if method or path else "unknown")
                    for destination in destinations
                    for method, path, port in _operations(rule)
                ]
                for source in callers:
                    for destination, method, path, protocol in reached:
                        yield Edge(
                            source=source,
                            destination=destination,
                            protocol=protocol,
                            requests=0,
                            method=method,
                            path=path,
                            origin=Origin.DECLARED,
                            evidence=evidence,
                        )

    def policy_destinations(self, policy: K8sObject) -> list[Destination]:
        found: list[Destination] = []
        for workload in self.scope.workloads_for(policy):
            services = self.snapshot.services_of_workload(workload)
            if not services:
                found.append(Destination(namespace=workload.namespace, workload=workload.ref.name))
            name = workload.ref.name
            found.extend(Destination(namespace=s.namespace, service=s.name, workload=name) for s in services)
        return found

    def rule_callers(self, rule: Mapping[str, Any]) -> list[Source]:
        callers: list[Source] = []
        for entry in list_at(rule, "from"):
            source = entry.get("source") if isinstance(entry, Mapping) else None
            if not isinstance(source, Mapping):
                continue
            for principal in list_at(source, "principals"):
                callers.extend(self.callers_by_principal(str(principal)))
            for namespace in list_at(source, "namespaces"):
                callers.extend(self.callers_by_namespace(str(namespace)))
        return list(dict.fromkeys(callers))

    # VirtualService routes and gateways ---------------------------------------------------------

    def route_edges(self) -> Iterator[Edge]:
        for virtual_service in self.snapshot.of_kind("VirtualService"):
            callers = self.route_callers(virtual_service)
            for section in ROUTE_SECTIONS:
                for destination in self.route_destinations(virtual_service, section):
                    for source in callers:
                        yield Edge(
                            source=source,
                            destination=destination,
                            protocol="http" if section == "http" else section,
                            requests=0,
                            origin=Origin.DECLARED,
                            evidence=(_evidence(virtual_service),),
                        )

    def route_callers(self, virtual_service: K8sObject) -> list[Source]:
        gateways = [str(g) for g in list_at(virtual_service.spec, "gateways") if isinstance(g, str)]
        callers: list[Source] = []
        for gateway in gateways or ["mesh"]:
            if gateway == "mesh":
                callers.append(Source(in_mesh=True))  # any caller in the mesh, not named
                continue
            namespace, _, name = gateway.rpartition("/")
            gateway_object = self.snapshot.get("Gateway", namespace or virtual_service.namespace, name)
            if gateway_object is None or not _is_istio_gateway(gateway_object):
                continue
            selector = string_map(gateway_object.spec.get("selector"))
            for ns in self.snapshot.namespaces:
                callers.extend(self.source_of(w) for w in self.snapshot.workloads_in(ns, selector))
        return list(dict.fromkeys(callers))

    def route_destinations(self, virtual_service: K8sObject, section: str) -> Iterator[Destination]:
        for route in list_at(virtual_service.spec, section):
            if not isinstance(route, Mapping):
                continue
            for weighted in list_at(route, "route"):
                target = weighted.get("destination") if isinstance(weighted, Mapping) else None
                if not isinstance(target, Mapping) or not isinstance(target.get("host"), str):
                    continue
                port = target.get("port")
                number = port.get("number") if isinstance(port, Mapping) else None
                service_port = number if isinstance(number, int) else None
                services = self.scope.hosts.lookup(target["host"], virtual_service.namespace)
                if not services:
                    host = resolve_short_name(target["host"], virtual_service.namespace)
                    yield Destination(host=host, service_port=service_port)
                for service in services:
                    yield Destination(service.namespace, service.name, service_port=service_port)


def _operations(rule: Mapping[str, Any]) -> list[tuple[str | None, str | None, int | None]]:
    combos: list[tuple[str | None, str | None, int | None]] = []
    for entry in list_at(rule, "to"):
        operation = entry.get("operation") if isinstance(entry, Mapping) else None
        if not isinstance(operation, Mapping):
            continue
        methods: list[str | None] = [str(m).upper() for m in list_at(operation, "methods")] or [None]
        paths: list[str | None] = [str(p) for p in list_at(operation, "paths")] or [None]
        ports: list[int | None] = [int(p) for p in list_at(operation, "ports") if str(p).isdigit()] or [None]
        combos.extend(itertools.product(methods, paths, ports))
    return list(dict.fromkeys(combos)) or [(None, None, None)]


def _with_target_port(destination: Destination, port: int | None) -> Destination:
    if port is None:
        return destination
    return Destination(destination.namespace, destination.service, destination.workload, None, port)


def _is_istio_gateway(obj: K8sObject) -> bool:
    group = obj.ref.api_version.split("/", 1)[0]
    return group == _ISTIO_GATEWAY_GROUP or (not group and "selector" in obj.spec)


def _evidence(obj: K8sObject) -> str:
    return f"{obj.ref} ({obj.source})"
