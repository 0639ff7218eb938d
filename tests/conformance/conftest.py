"""Prints the conformance table after the run, whatever the verbosity."""

from __future__ import annotations

from typing import Any

from tests.conformance.harness import Result, agreement, table

RESULTS: list[Result] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    ordered = sorted(RESULTS, key=lambda r: (r.request.case.split("/")[0], int(r.request.case.split("/")[1])))
    terminalreporter.write_sep("=", "conformance with Istio's own tests")
    terminalreporter.write_line(table(ordered))
    terminalreporter.write_line(f"Preflight {agreement(ordered)}.")
