"""Conformance cases from Istio's own tests, run through ``preflight check``'s real path.

A case file (``cases/*.yaml``) translates one upstream test: the file and test name it comes
from, the configuration it applies on top of the echo cluster of ``cluster.yaml``, and the
requests it sends with the answer Istio gives (``allow`` for a 2xx or an open connection,
``deny`` for a 403 or a reset). Each request becomes a row of a CSV edge list; the snapshot,
the edge list and the built-in knowledge base go through ``run_check`` with ``--from`` equal
to ``--to``, and the decision the report holds for the row's edge is compared with Istio's.

Where traffic data cannot carry what a request depends on (a header, a source IP, a JWT),
the request names it under ``missing``: the simulator may then only answer ``unknown``, and
only with a reason that names that attribute. Such requests count as not agreeing.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from preflight.engine.engine import CheckOptions
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.simulate.interface import EdgeDecision
from preflight.traffic.loader import load_traffic
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml

HERE = Path(__file__).parent
CASES = HERE / "cases"
DEFAULT_VERSION = "1.24.2"
_COLUMNS = ("source", "destination", "port", "protocol", "method", "path", "requests", "mtls")
_EXPECTATIONS = frozenset({"allow", "deny"})


@dataclass(frozen=True)
class Request:
    case: str  # "<file stem>/<index>"
    upstream: str  # "<upstream file> <test name>"
    row: Mapping[str, str]
    expect: str
    missing: str | None  # the attribute traffic data cannot carry, when the request depends on one
    note: str = ""

    @property
    def summary(self) -> str:
        row = self.row
        what = row.get("protocol") or "(port name)"
        if row.get("method") or row.get("path"):
            what += f" {row.get('method') or '*'} {row.get('path') or '*'}"
        mtls = f" mtls={row['mtls']}" if row.get("mtls") else ""
        return f"{row['source']} -> {row['destination']}:{row.get('port', '')} {what}{mtls}"


@dataclass(frozen=True)
class Result:
    request: Request
    decided: EdgeDecision

    @property
    def agrees(self) -> bool:
        return self.decided.decision.value == self.request.expect

    @property
    def acceptable(self) -> bool:
        """Agrees, or is ``unknown`` for want of the attribute the case says traffic data lacks."""
        if self.agrees:
            return True
        missing = self.request.missing
        return (
            missing is not None
            and self.decided.decision.value == "unknown"
            and any(missing in reason for reason in self.decided.reasons)
        )

    @property
    def shown(self) -> str:
        decided = self.decided.decision.value
        if decided == "unknown" and self.request.missing:
            return f"unknown ({self.request.missing} not in traffic data)"
        return decided


@dataclass(frozen=True)
class CaseFile:
    name: str
    upstream: str
    test: str
    version: str
    config: str
    requests: tuple[Request, ...]


def load_case_file(path: Path) -> CaseFile:
    raw = yaml.safe_load(path.read_text())
    upstream = f"{raw['upstream']} {raw['test']}"
    requests = []
    for index, item in enumerate(raw["requests"]):
        expect = str(item["expect"])
        if expect not in _EXPECTATIONS:
            raise ValueError(f"{path.name} request {index}: expect must be allow or deny, not {expect!r}")
        row = {key: str(item[key]) for key in _COLUMNS if item.get(key) is not None}
        row["source"], row["destination"] = str(item["from"]), str(item["to"])
        requests.append(
            Request(f"{path.stem}/{index}", upstream, row, expect, item.get("missing"), str(item.get("note", "")))
        )
    if not requests:
        raise ValueError(f"{path.name}: no requests")
    return CaseFile(path.stem, str(raw["upstream"]), str(raw["test"]), str(raw.get("version", DEFAULT_VERSION)),
                    str(raw.get("config") or ""), tuple(requests))


def case_files() -> list[CaseFile]:
    return [load_case_file(path) for path in sorted(CASES.glob("*.yaml"))]


def _edge_list(requests: Sequence[Request]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for request in requests:
        writer.writerow(dict(request.row))
    return out.getvalue()


@cache
def _knowledge_base() -> Any:
    return load_knowledge_base()


_RUNS: dict[str, list[Result]] = {}


def run_case_file(case: CaseFile) -> list[Result]:
    """``decide_case_file``, once per case file and test session."""
    found = _RUNS.get(case.name)
    if found is None:
        found = _RUNS[case.name] = decide_case_file(case)
    return found


def decide_case_file(case: CaseFile) -> list[Result]:
    """Every request of a case file decided by ``run_check`` at the case's version (``--from`` = ``--to``)."""
    snapshot = snapshot_from_yaml((HERE / "cluster.yaml").read_text() + "\n---\n" + case.config, f"{case.name}.yaml")
    version = parse_version(case.version)
    with tempfile.TemporaryDirectory() as directory:
        traffic_file = Path(directory) / f"{case.name}.csv"
        traffic_file.write_text(_edge_list(case.requests))
        traffic = load_traffic([str(traffic_file)])
        report = run_check(snapshot, _knowledge_base(), CheckOptions(target=version, source=version,
                                                                     timestamp=False), traffic)
        by_line: dict[int, EdgeDecision] = {}
        assert report.simulation is not None
        for outcome in report.simulation.outcomes:
            for evidence in outcome.edge.evidence:
                by_line[int(evidence.rsplit(":", 1)[1])] = outcome.before
    # Row i of the edge list is line i + 2 (the header is line 1).
    return [Result(request, by_line[index + 2]) for index, request in enumerate(case.requests)]


def table(results: Sequence[Result]) -> str:
    """The agreement table: case, upstream source, request, expected, decided."""
    headers = ("case", "upstream source", "request", "expected", "decided", "agrees")
    rows = [
        (r.request.case, r.request.upstream, r.request.summary, r.request.expect, r.shown, "yes" if r.agrees else "no")
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in (headers, *rows)]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def agreement(results: Sequence[Result]) -> str:
    """The sentence the README quotes."""
    agreeing = sum(1 for r in results if r.agrees)
    sentence = f"agrees with {agreeing} of {len(results)} upstream cases"
    missing = Counter(r.request.missing for r in results if not r.agrees and r.acceptable)
    if missing:
        counts = ", ".join(f"{name} ({count})" for name, count in sorted(missing.items()))
        sentence += f"; {sum(missing.values())} are `unknown` for want of what traffic data does not carry: {counts}"
    wrong = sum(1 for r in results if not r.acceptable)
    if wrong:
        sentence += f"; {wrong} disagree"
    return sentence
