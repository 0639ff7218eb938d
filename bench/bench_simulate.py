"""Benchmark the edge simulation inside a whole check (not a test: it reports, never asserts).

    python bench/bench_simulate.py [--sizes 1000,5000] [--from 1.20] [--to 1.31] [--repeat 3]
    python bench/bench_simulate.py --cluster DIR/cluster.json --traffic DIR/traffic.json

For each size N it generates the cluster and Prometheus answer ``bench/bench_check.py``
uses (N services, about six callers per service), or reads the files given, then runs
the check in this process with ``--traffic`` and times the simulation the pipeline calls:

* ``edges``, ``destinations``: edges decided (both sides), distinct destinations among them;
* ``in check s``: the simulation as the check ran it, and its share of the whole ``run_check``;
* ``best s``, ``edges/s``, ``µs/edge``: the best of ``--repeat`` simulations over the same inputs
  (a busy machine makes single runs noisy);
* ``rss MiB``: how much the process grew while simulating (outcomes, indexes, memos).

The simulation is linear in edges plus distinct destinations: µs/edge should stay flat
from 1,000 to 20,000 services.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import preflight.pipeline as pipeline
from bench.generate_cluster import prometheus_result, snapshot_list
from preflight.engine.engine import CheckOptions
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.simulate.interface import SimulationResult
from preflight.simulate.simulator import simulate
from preflight.snapshot.loader import load_snapshot
from preflight.traffic.loader import load_traffic
from preflight.versions import parse_version

SERVICES_PER_NAMESPACE = 40


def resident_mib() -> float:
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def generated(size: int, workdir: Path) -> tuple[Path, Path]:
    namespaces = math.ceil(size / SERVICES_PER_NAMESPACE)
    cluster, traffic = workdir / "cluster.json", workdir / "traffic.json"
    cluster.write_text(json.dumps(snapshot_list(namespaces, SERVICES_PER_NAMESPACE)))
    traffic.write_text(json.dumps(prometheus_result(namespaces, SERVICES_PER_NAMESPACE)))
    return cluster, traffic


def measure(cluster: Path, traffic: Path, source: str, target: str, repeat: int) -> dict[str, Any]:
    snapshot = load_snapshot([str(cluster)])
    kb = load_knowledge_base()
    data = load_traffic([str(traffic)])
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    timings: list[tuple[float, float, SimulationResult]] = []
    def timed(*args: Any, **kwargs: Any) -> SimulationResult:
        calls.append((args, kwargs))
        before, started = resident_mib(), time.perf_counter()
        result = simulate(*args, **kwargs)
        timings.append((time.perf_counter() - started, resident_mib() - before, result))
        return result

    options = CheckOptions(target=parse_version(target), source=parse_version(source), timestamp=False)
    with mock.patch.object(pipeline, "simulate", timed):
        started = time.perf_counter()
        run_check(snapshot, kb, options, data)
        whole = time.perf_counter() - started
    seconds, grown, result = timings[0]
    args, kwargs = calls[0]
    for _ in range(repeat - 1):
        started = time.perf_counter()
        simulate(*args, **kwargs)
        seconds = min(seconds, time.perf_counter() - started)
    edges = len(result.outcomes)
    return {
        "objects": len(snapshot),
        "edges": edges,
        "destinations": len({o.edge.destination for o in result.outcomes}),
        "changed": len(result.changed),
        "in_check": timings[0][0],
        "simulate": seconds,
        "edges_per_s": edges / seconds,
        "us_per_edge": seconds / edges * 1e6,
        "share": timings[0][0] / whole,
        "whole": whole,
        "rss": grown,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated service counts to generate")
    parser.add_argument("--cluster", type=Path, help="a snapshot file to use instead of generating one")
    parser.add_argument("--traffic", type=Path, help="the traffic file that goes with --cluster")
    parser.add_argument("--from", dest="source", default="1.20")
    parser.add_argument("--to", dest="target", default="1.31")
    parser.add_argument("--repeat", type=int, default=3, help="simulations per size; the best time is reported")
    args = parser.parse_args()
    if (args.cluster is None) != (args.traffic is None):
        parser.error("--cluster and --traffic go together")

    rows = []
    if args.cluster is not None:
        rows.append(("given", measure(args.cluster, args.traffic, args.source, args.target, args.repeat)))
    else:
        for size in (int(part) for part in args.sizes.split(",")):
            with tempfile.TemporaryDirectory(prefix=f"preflight-bench-simulate-{size}-") as workdir:
                cluster, traffic = generated(size, Path(workdir))
                rows.append((str(size), measure(cluster, traffic, args.source, args.target, args.repeat)))
            print(f"{size} services done", file=sys.stderr, flush=True)
    print(f"preflight check --from {args.source} --to {args.target} --traffic: the simulation")
    print("| services | objects | edges | destinations | changed | in check s | share | best s | edges/s | µs/edge "
          "| rss MiB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, row in rows:
        print(f"| {name} | {row['objects']} | {row['edges']} | {row['destinations']} | {row['changed']} "
              f"| {row['in_check']:.2f} | {row['share']:.0%} of {row['whole']:.1f} s | {row['simulate']:.2f} "
              f"| {row['edges_per_s']:,.0f} | {row['us_per_edge']:.1f} | {row['rss']:.0f} |")


if __name__ == "__main__":
    main()
