"""Istio's own authorization and PeerAuthentication tests, decided by the simulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conformance.conftest import RESULTS
from tests.conformance.harness import CaseFile, agreement, case_files, run_case_file

CASE_FILES = case_files()
README = Path(__file__).parents[2] / "README.md"


@pytest.mark.parametrize("case", CASE_FILES, ids=[c.name for c in CASE_FILES])
def test_upstream_case_file(case: CaseFile) -> None:
    results = run_case_file(case)
    RESULTS.extend(results)
    wrong = [
        f"{r.request.case} {r.request.summary}: Istio {r.request.expect}, preflight {r.decided.decision} "
        f"({' | '.join(r.decided.reasons)})"
        for r in results
        if not r.acceptable
    ]
    assert not wrong, "\n".join(wrong)


def test_every_case_names_its_upstream_source_and_there_are_enough() -> None:
    requests = [r for case in CASE_FILES for r in case.requests]
    assert len(requests) >= 100
    for case in CASE_FILES:
        assert re.match(r"^(tests|pilot|pkg|istio\.io|https://istio\.io)", case.upstream), case.name
        assert case.test, case.name


def test_readme_states_the_agreement_the_suite_measures() -> None:
    results = [r for case in CASE_FILES for r in run_case_file(case)]
    measured = agreement(results)
    assert measured in README.read_text(), f"the README must state what the suite measures: {measured}"
