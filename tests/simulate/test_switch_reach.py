"""Every switch the decision code reads is covered by its own ``touches`` declaration.

The simulator decides an edge's "after" side only when a differing switch declares it can
touch the edge's destination. A switch read for a destination its ``touches`` does not cover
would make "after" silently equal "before" there. So every edge of the conformance fixtures
and of one scenario per switch is decided with semantics that record which switches are read,
and each read must be declared for that destination.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from preflight.istio.cluster import build_cluster
from preflight.simulate.semantics import SWITCHES, Semantics, Switch
from preflight.simulate.simulator import Simulation
from preflight.simulate.world import World
from preflight.snapshot.model import Snapshot
from preflight.traffic.interface import Destination, Edge, Origin, Source
from preflight.traffic.loader import load_traffic
from tests.conformance.harness import HERE as CONFORMANCE
from tests.conformance.harness import _edge_list, case_files
from tests.simulate.test_simulator import (
    CLUSTER,
    EXTERNAL_ALIAS,
    REGISTRY_ONLY_MESH,
    SHARED_HOST,
    WILDCARD_ROUTES,
    api_rule,
    edge,
    entry,
)
from tests.support import snapshot_from_yaml

_READS: list[str] = []


class _RecordingSemantics(Semantics):
    """Semantics that note every switch read (``dataclasses.replace`` keeps the class)."""

    def __getattribute__(self, name: str) -> Any:
        if name in SWITCHES:
            _READS.append(name)
        return super().__getattribute__(name)


def _scenarios() -> Iterator[tuple[str, Snapshot, list[Edge]]]:
    """One per switch, with edges it touches and edges it does not, then every conformance case file."""
    alias_calls = [edge(service="api-alias", namespace="shop"), edge()]
    host_calls = [
        Edge(Source("shop", "web", in_mesh=True), Destination(host=host, service_port=443), "tls", 10,
             origin=Origin.PROMETHEUS)
        for host in ("api.example.com", "other.example.com")
    ]
    billing = edge(service="billing", namespace="shop", port=443, protocol="tls")
    yield "externalname_alias", snapshot_from_yaml(CLUSTER), alias_calls
    yield "unregistered alias", snapshot_from_yaml(CLUSTER + "---" + EXTERNAL_ALIAS + REGISTRY_ONLY_MESH), [billing]
    yield "verify_certificate_at_client", snapshot_from_yaml(CLUSTER + "---" + api_rule("SIMPLE")), alias_calls
    yield "vs_most_specific_host", snapshot_from_yaml(CLUSTER + "---" + WILDCARD_ROUTES), [*host_calls, edge()]
    shared_calls = [edge(), edge(source=("legacy", "batch"))]
    yield "sidecar_pick_best_service_namespace", snapshot_from_yaml(CLUSTER + "---" + SHARED_HOST), shared_calls
    cluster = (CONFORMANCE / "cluster.yaml").read_text()
    with tempfile.TemporaryDirectory() as directory:
        for case in case_files():
            snapshot = snapshot_from_yaml(cluster + "\n---\n" + case.config, f"{case.name}.yaml")
            traffic_file = Path(directory) / f"{case.name}.csv"
            traffic_file.write_text(_edge_list(case.requests))
            yield case.name, snapshot, list(load_traffic([str(traffic_file)]).edges)


def _undeclared_reads() -> tuple[list[str], set[str]]:
    """Switch reads no ``touches`` declares, and every switch read at all."""
    switching = [entry(f"1.{20 + i}-{name}", name) for i, name in enumerate(SWITCHES)]
    undeclared: list[str] = []
    read: set[str] = set()
    for name, snapshot, edges in _scenarios():
        simulation = Simulation(World(build_cluster(snapshot)), _RecordingSemantics(), switching)
        assert set(simulation.differing) == set(SWITCHES)
        for call in edges:
            _READS.clear()
            simulation.outcome(call)
            read.update(_READS)
            undeclared.extend(
                f"{name}: {switch} read for {call.destination}"
                for switch in sorted(set(_READS))
                if not SWITCHES[switch].touches(simulation, call.destination)
            )
    return undeclared, read


def test_every_switch_read_is_declared_by_its_touches() -> None:
    undeclared, read = _undeclared_reads()
    assert undeclared == []
    assert read == set(SWITCHES)  # each switch is read somewhere: the fixtures exercise every one


def test_a_switch_whose_touches_misses_a_read_destination_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    narrowed = Switch(SWITCHES["externalname_alias"].description, lambda reach, destination: False)
    monkeypatch.setitem(SWITCHES, "externalname_alias", narrowed)
    undeclared, _ = _undeclared_reads()
    assert undeclared and all("externalname_alias read for shop/" in u for u in undeclared)


def test_the_semantics_fields_are_the_switches() -> None:
    assert set(Semantics.__dataclass_fields__) == set(SWITCHES)
