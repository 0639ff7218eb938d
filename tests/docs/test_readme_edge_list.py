"""The README's edge-list example is a valid edge list that means what the table says."""

from __future__ import annotations

import re
from pathlib import Path

from preflight.traffic.interface import Mtls
from preflight.traffic.loader import load_file

README = Path(__file__).parents[2] / "README.md"


def test_readme_edge_list_example_loads(tmp_path: Path) -> None:
    example = re.search(r"```csv\n(.*?)```", README.read_text(), re.S)
    assert example is not None
    path = tmp_path / "edges.csv"
    path.write_text(example.group(1))
    web, recommendations, db, outside, backup = load_file(str(path))
    assert (web.protocol, web.method, web.requests, web.mtls) == ("http", "GET", 1200, Mtls.MUTUAL)
    assert recommendations.protocol == "grpc" and recommendations.mtls is Mtls.MUTUAL
    assert db.protocol == "tcp" and db.destination.service_port == 5432
    assert outside.source.in_mesh is False and outside.mtls is Mtls.NONE
    assert backup.source.principal == "spiffe://cluster.local/ns/ops/sa/backup" and backup.protocol == "unknown"
