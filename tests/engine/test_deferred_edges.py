"""The JSON edges section is built when written, batch by batch, and is the simulator's edge list unchanged."""

from preflight.engine.engine import CheckOptions, _edge_items, run_check
from preflight.engine.interface import Deferred
from preflight.kb.loader import load_knowledge_base
from preflight.resources import demo_cluster_dir, demo_traffic_file
from preflight.simulate.simulator import edges_to_json
from preflight.snapshot.loader import load_snapshot
from preflight.traffic.loader import load_traffic
from preflight.versions import parse_version


def test_edges_are_deferred_and_equal_the_simulators_list_in_any_batch_size() -> None:
    snapshot = load_snapshot([str(demo_cluster_dir())])
    options = CheckOptions(target=parse_version("1.22"), timestamp=False)
    report = run_check(snapshot, load_knowledge_base(), options, load_traffic([str(demo_traffic_file())]))
    assert report.simulation is not None and len(report.simulation.outcomes) > 3
    expected = edges_to_json(report.simulation)
    assert isinstance(report.extra["edges"], Deferred)
    assert list(report.extra["edges"]) == expected
    assert list(report.extra["edges"]) == expected  # iterating again builds them again
    for batch in (1, 2, 3, len(expected) + 1):
        assert list(_edge_items(report.simulation, batch)) == expected
