"""Benchmark the simulator on a generated large cluster with traffic (not a test: it reports, never asserts).

    python bench/bench_simulate.py [--namespaces 50] [--services 40] [--edges 100000] [--to 1.22]

Reports edges decided per second (before and after) and the whole check's time: snapshot
load, engine run over the KB, simulation and the JSON ``edges`` section.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_cluster import cluster_documents, edges
from preflight.engine.engine import CheckOptions, run_check
from preflight.istio.control_plane import read_control_plane
from preflight.kb.loader import load_knowledge_base
from preflight.simulate.simulator import edges_to_json, findings_for_changed_edges, simulate
from preflight.versions import parse_version, upgrade_path
from tests.support import snapshot_from_yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--services", type=int, default=40)
    parser.add_argument("--edges", type=int, default=100_000)
    parser.add_argument("--from", dest="source", default="1.18")
    parser.add_argument("--to", default="1.22")
    args = parser.parse_args()

    text = yaml.safe_dump_all(cluster_documents(args.namespaces, args.services), sort_keys=False)
    traffic = edges(args.namespaces, args.services, args.edges)
    started = time.perf_counter()
    snapshot = snapshot_from_yaml(text, "generated.yaml")
    loaded = time.perf_counter()
    kb = load_knowledge_base()
    source, target = parse_version(args.source), parse_version(args.to)
    report = run_check(snapshot, kb, CheckOptions(target=target, source=source, timestamp=False))
    checked = time.perf_counter()
    path = upgrade_path(source, target, list(kb.minors))
    on_path = [e for e in kb.entries if path.includes(e.introduced_in)]
    earlier = [e for e in kb.entries if e.introduced_in <= source]
    result = simulate(snapshot, read_control_plane(snapshot), on_path, traffic, True, earlier_entries=earlier)
    simulated = time.perf_counter()
    findings = findings_for_changed_edges(result, on_path)
    json.dumps(edges_to_json(result))
    finished = time.perf_counter()

    seconds = simulated - checked
    print(f"cluster: {len(snapshot)} objects, {len(snapshot.workloads)} workloads; {len(traffic)} edges")
    print(f"snapshot load      {loaded - started:8.2f} s")
    print(f"engine check       {checked - loaded:8.2f} s ({len(report.findings)} findings)")
    print(f"simulation         {seconds:8.2f} s = {len(traffic) / seconds:,.0f} edges/s (both sides)")
    changed = f"{len(result.changed)} changed edges, {len(findings)} findings"
    print(f"findings + JSON    {finished - simulated:8.2f} s ({changed})")
    print(f"whole check        {finished - started:8.2f} s")


if __name__ == "__main__":
    main()
