"""Each stop's findings, worked out once per change, are those worked out finding by finding."""

from __future__ import annotations

from collections import Counter

import pytest

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import FindingStatus
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.plan.stops import _arrives_at, stop_versions, upgrade_stops
from preflight.resources import demo_cluster_dir
from preflight.snapshot.loader import LoadOptions, load_snapshot
from preflight.versions import parse_version


@pytest.mark.parametrize(("source", "target"), [("1.20", "1.31"), ("1.22.1", "1.27.0"), ("1.24", "1.25")])
def test_stops_hold_what_a_finding_by_finding_walk_gives(source: str, target: str) -> None:
    snapshot = load_snapshot([str(demo_cluster_dir())], LoadOptions())
    options = CheckOptions(target=parse_version(target), source=parse_version(source))
    report = run_check(snapshot, load_knowledge_base(), options)
    versions = stop_versions(parse_version(report.source_version), parse_version(report.target_version))
    expected: list[Counter[str]] = [Counter() for _ in versions]
    for finding in report.findings:
        if finding.status is FindingStatus.AFFECTED:
            index = _arrives_at(report, finding.change, versions)
            if index is not None:
                expected[index][finding.change] += 1
    stops = upgrade_stops(report, lambda version: version)
    assert [stop.changes for stop in stops] == [tuple(sorted(counted)) for counted in expected]
    assert [sum(stop.findings.values()) for stop in stops] == [sum(counted.values()) for counted in expected]
    assert any(stop.changes for stop in stops)
