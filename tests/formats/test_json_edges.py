"""The JSON edges section is built from the typed simulation while it is written, batch by batch, and is the
simulator's edge list unchanged."""

import json
from dataclasses import fields

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.formats import json_format
from preflight.formats.json_format import edge_items, edges_to_json
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.resources import demo_cluster_dir, demo_traffic_file
from preflight.snapshot.loader import load_snapshot
from preflight.traffic.loader import load_traffic
from preflight.versions import parse_version


def test_edges_are_streamed_and_equal_the_simulators_list_in_any_batch_size() -> None:
    snapshot = load_snapshot([str(demo_cluster_dir())])
    options = CheckOptions(target=parse_version("1.22"), timestamp=False)
    report = run_check(snapshot, load_knowledge_base(), options, load_traffic([str(demo_traffic_file())]))
    assert report.simulation is not None and len(report.simulation.outcomes) > 3
    expected = edges_to_json(report.simulation)
    assert isinstance(json_format._document(report, streamed=True)["edges"], json_format._Lazy)
    assert json_format.to_document(report)["edges"] == expected
    assert json.loads(json_format.render(report))["edges"] == expected  # writing again builds them again
    for batch in (1, 2, 3, len(expected) + 1):
        assert list(edge_items(report.simulation, batch)) == expected


def test_the_report_holds_no_prebuilt_json() -> None:
    """Sections are typed values; the JSON formatter alone turns them into dicts and lists."""
    annotations = {f.name: str(f.type) for f in fields(Report)}
    assert "extra" not in annotations
    assert not [name for name, kind in annotations.items() if "Any" in kind or "dict" in kind]
