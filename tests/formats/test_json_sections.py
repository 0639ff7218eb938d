"""The JSON report holds every section of the typed report, and each KB entry's text once."""

import json
from datetime import date
from pathlib import Path

from preflight.engine.clusters import merge_cluster_reports
from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.formats.json_format import edges_to_json, plan_to_json, platform_to_json, render
from preflight.istio.cluster import build_cluster
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.plan.sections import with_sections
from preflight.resources import demo_cluster_dir, demo_traffic_file
from preflight.snapshot.loader import LoadOptions, load_snapshot
from preflight.traffic.loader import load_traffic
from preflight.versions import parse_version
from tests.engine.test_mesh_wide import MESHED, finding
from tests.engine.test_mesh_wide import report as mesh_report
from tests.formats.test_golden import fixture_report

# What a KB entry says; the findings name their entry and carry none of it.
ENTRY_TEXT = ("title", "remediation", "caveats", "upstream")


def demo_report(tmp_path: Path, cluster_name: str | None = None) -> Report:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - change: '1.22-*'\n    resource: 'payments/*'\n    reason: accepted for the demo\n"
        "    ticket: OPS-1\n    expires: 2099-01-01\n"
    )
    snapshot = load_snapshot([str(demo_cluster_dir())], LoadOptions(cluster_name=cluster_name))
    options = CheckOptions(target=parse_version("1.22"), timestamp=False, report_date=date(2026, 11, 1))
    report = run_check(snapshot, load_knowledge_base(), options, load_traffic([str(demo_traffic_file())]))
    return with_sections(report, build_cluster(snapshot), waivers_file=str(waivers), today=date(2026, 11, 1))


def test_every_section_of_the_report_is_in_the_json(tmp_path: Path) -> None:
    report = demo_report(tmp_path)
    assert report.canary_plan is not None and report.footprint is not None and report.waivers is not None
    assert report.platform is not None and report.simulation is not None and report.teams
    document = json.loads(render(report))
    assert document["teams"] == dict(report.teams)
    assert document["plan"] == json.loads(json.dumps(plan_to_json(report.canary_plan)))
    assert document["plan"]["waves"]
    assert document["platform"] == json.loads(json.dumps(platform_to_json(report.platform)))
    footprint = document["footprint"]
    assert footprint["injected_pods"] == report.footprint.injected_pods > 0
    assert len(footprint["workloads"]) == len(report.footprint.workloads)
    assert [c["change"] for c in footprint["changes"]] == [c.change for c in report.footprint.changes]
    waived = {w["finding"] for w in document["waivers"]["waived"]}
    assert waived and waived == set(report.waivers.waived)
    assert waived <= {f["id"] for f in document["findings"]}
    simulation = document["simulation"]
    assert simulation["edges"] == len(document["edges"]) == len(report.simulation.outcomes)
    assert simulation["traffic_is_observed"] is True
    assert document["clusters"] == []


def test_mesh_wide_changes_are_in_the_json_with_their_findings() -> None:
    findings = [finding("everywhere", service) for service in MESHED] + [finding("one", MESHED[0])]
    report = mesh_report(findings)
    (change,) = json.loads(render(report))["mesh_wide"]
    assert change["change"] == "everywhere" and change["services"] == change["meshed_services"] == len(MESHED)
    assert change["findings"] == [f.id for f in findings[:-1]]


def test_each_entry_is_written_once_and_every_finding_names_one(tmp_path: Path) -> None:
    for report in (fixture_report(), demo_report(tmp_path)):
        document = json.loads(render(report))
        entries = [*document["changes"], *document["platform_checks"]]
        ids = [e["id"] for e in entries]
        assert len(ids) == len(set(ids))
        assert all(e["title"] and "how" in e["mitigation"] and "remediation" in e for e in entries)
        assert {f["change"] for f in document["findings"]} <= set(ids)
        assert not [key for f in document["findings"] for key in ENTRY_TEXT if key in f]
        assert all(set(f["mitigation"]) == {"applied"} for f in document["findings"])


def test_a_multi_cluster_report_lists_each_clusters_edges_and_platform(tmp_path: Path) -> None:
    east, west = demo_report(tmp_path, "east"), demo_report(tmp_path, "west")
    assert east.simulation is not None and west.simulation is not None
    merged = merge_cluster_reports([("east", east), ("west", west)])
    document = json.loads(render(merged))
    assert [c["name"] for c in document["clusters"]] == ["east", "west"]
    assert all(c["platform"] and c["platform"]["kubernetes"] for c in document["clusters"])
    assert document["platform"] is None  # per cluster only
    expected = [{"cluster": name, **edge} for name, r in (("east", east), ("west", west))
                for edge in edges_to_json(r.simulation)]  # type: ignore[arg-type]
    assert document["edges"] == json.loads(json.dumps(expected))
    assert document["simulation"]["edges"] == len(expected)
