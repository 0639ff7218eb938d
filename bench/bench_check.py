"""Benchmark the whole ``preflight check`` against a bare parse of the same snapshot.

    python bench/bench_check.py [--sizes 1000,5000,20000] [--inputs documents,list,json]
                                [--traffic without,with] [--from 1.20] [--to 1.31] [--keep DIR]

For each size N it generates a cluster of N services (``bench/generate_cluster.py``:
Namespaces, Services, Deployments, Pods, VirtualServices, DestinationRules,
AuthorizationPolicies, ServiceEntries, Sidecars, PeerAuthentications, an istiod) and a
Prometheus answer with about six callers per service, and writes the cluster three ways:
multi-document YAML (``documents``: what GitOps trees and ``helm template`` give), one
``kind: List`` in YAML (``list``: ``kubectl get -o yaml``) and the same List in JSON
(``json``: ``kubectl get -o json``). For each input, with and without ``--traffic``, it reports:

* ``C parse``: seconds PyYAML's C loader takes to ``load_all`` that file and nothing else, in
  a process of its own; for JSON also ``orjson`` loading it;
* ``check``: seconds of the real ``preflight check FILE --output report.html --output
  report.json`` in a fresh process (interpreter start, load, engine, simulation, HTML and
  JSON rendering, atomic writes); without ``--traffic`` the edges are the declared ones;
* ``ratio`` = check / C parse (the goal is <= 1.0), ``µs/object`` of the check (the goal is
  flat across sizes), the check process's peak resident memory and the JSON report's size;
* the same ratio and µs/object in CPU seconds (user + system) of each process: on a machine
  shared with other work, wall time measures the neighbours as much as the check.

It never asserts anything: speed is read by a person, not gated by a timed test. It also
confirms the canary env value of the generated Pods never reaches a report.
"""

from __future__ import annotations

import argparse
import math
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import orjson
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_cluster import prometheus_result, snapshot_list

SERVICES_PER_NAMESPACE = 40
CANARY = "not-for-reports"  # an env value the generator puts in every Pod


# Each input form, by the name the bench gives it, and its file.
INPUTS = {"documents": "cluster-documents.yaml", "list": "cluster-list.yaml", "json": "cluster.json"}

_PARSE = {
    "yaml": """
import sys, time, yaml
started, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[1], "rb") as stream:
    for _ in yaml.load_all(stream, Loader=yaml.CSafeLoader):
        pass
print(time.perf_counter() - started, time.process_time() - cpu)
""",
    "orjson": """
import sys, time, orjson
started, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[1], "rb") as stream:
    orjson.loads(stream.read())
print(time.perf_counter() - started, time.process_time() - cpu)
""",
}


def parse_seconds(path: Path, parser: str) -> tuple[float, float]:
    """Wall and CPU seconds of a bare parse of the file (PyYAML's C ``load_all``, or orjson), in a process of its own.

    Parsing in this process would leave it large, and a check started from a large process
    reports the parent's resident size as its own peak (Linux keeps the high-water mark
    across exec), so each measurement gets a fresh interpreter.
    """
    result = subprocess.run(
        [sys.executable, "-c", _PARSE[parser], str(path)], capture_output=True, text=True, check=True
    )
    wall, cpu = result.stdout.split()
    return float(wall), float(cpu)


# Runs the check in this interpreter and reports the process's own high-water mark (VmHWM) on exit.
# ru_maxrss would not do: Linux carries the parent's high-water mark across fork and exec, and
# this benchmark process is large after generating the cluster.
_CHECK = """
import atexit, sys
def _peak():
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    sys.stderr.write(f"PREFLIGHT_BENCH_PEAK_KIB={kib}\\n")
atexit.register(_peak)
sys.argv = ["preflight", *sys.argv[1:]]
from preflight.cli import main
main()
"""


def check_run(command: list[str]) -> tuple[float, float, int, float, str]:
    """Wall and CPU seconds, exit code, peak RSS in MiB and stderr of ``preflight <command>`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", _CHECK, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, stderr_bytes = process.communicate()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    stderr = stderr_bytes.decode("utf-8", "replace")
    peaks = [line.split("=", 1)[1] for line in stderr.splitlines() if line.startswith("PREFLIGHT_BENCH_PEAK_KIB=")]
    peak = int(peaks[-1]) / 1024 if peaks else float("nan")
    return seconds, cpu, process.returncode, peak, stderr


def cli_has_option(option: str) -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "preflight", "check", "--help"], capture_output=True, text=True, check=False
    )
    return option in result.stdout


def write_inputs(workdir: Path, namespaces: int) -> int:
    """The generated cluster in the three forms, and its Prometheus answer; returns the object count."""
    snapshot = snapshot_list(namespaces, SERVICES_PER_NAMESPACE)
    (workdir / INPUTS["json"]).write_bytes(orjson.dumps(snapshot, option=orjson.OPT_INDENT_2))
    with (workdir / INPUTS["list"]).open("w") as stream:
        yaml.dump(snapshot, stream, Dumper=yaml.CSafeDumper, sort_keys=False)
    with (workdir / INPUTS["documents"]).open("w") as stream:
        yaml.dump_all(snapshot["items"], stream, Dumper=yaml.CSafeDumper, sort_keys=False)
    (workdir / "traffic.json").write_bytes(orjson.dumps(prometheus_result(namespaces, SERVICES_PER_NAMESPACE)))
    return len(snapshot["items"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,20000", help="comma-separated service counts")
    parser.add_argument("--from", dest="source", default="1.20")
    parser.add_argument("--to", dest="target", default="1.31")
    parser.add_argument("--inputs", default=",".join(INPUTS), help="comma-separated: " + ", ".join(INPUTS))
    parser.add_argument("--traffic", default="without,with", help="without, with, or both (the default)")
    parser.add_argument("--keep", type=Path, help="keep generated files and reports here")
    args = parser.parse_args()

    quiet = cli_has_option("--quiet")
    flavours = [part for part in args.inputs.split(",") if part]
    traffic_modes = [part == "with" for part in args.traffic.split(",") if part]
    rows = []
    for size in (int(part) for part in args.sizes.split(",")):
        namespaces = math.ceil(size / SERVICES_PER_NAMESPACE)
        services = namespaces * SERVICES_PER_NAMESPACE
        workdir = Path(tempfile.mkdtemp(prefix=f"preflight-bench-{services}-", dir=args.keep))
        objects = write_inputs(workdir, namespaces)
        for flavour in flavours:
            path = workdir / INPUTS[flavour]
            parse, parse_cpu = parse_seconds(path, "yaml")
            orjson_parse = parse_seconds(path, "orjson")[0] if flavour == "json" else None
            for with_traffic in traffic_modes:
                stem = f"report-{flavour}-{'traffic' if with_traffic else 'declared'}"
                command = [
                    "check", str(path), "--from", args.source, "--to", args.target,
                    "--no-timestamp", "--output", str(workdir / f"{stem}.html"),
                    "--output", str(workdir / f"{stem}.json"),
                ]  # fmt: skip
                if with_traffic:
                    command += ["--traffic", str(workdir / "traffic.json")]
                if quiet:
                    command.append("--quiet")
                seconds, cpu, code, peak, stderr = check_run(command)
                if code not in (0, 1):
                    print(f"check failed with exit code {code}: {stderr.strip()}", file=sys.stderr)
                reports = [workdir / f"{stem}.html", workdir / f"{stem}.json"]
                rows.append(
                    {
                        "services": services,
                        "objects": objects,
                        "input": flavour,
                        "traffic": "yes" if with_traffic else "no",
                        "mib": path.stat().st_size / 2**20,
                        "parse": parse,
                        "orjson": orjson_parse,
                        "check": seconds,
                        "ratio": seconds / parse,
                        "us_per_object": seconds / objects * 1e6,
                        "parse_cpu": parse_cpu,
                        "cpu": cpu,
                        "cpu_ratio": cpu / parse_cpu,
                        "cpu_us_per_object": cpu / objects * 1e6,
                        "peak": peak,
                        "html_mib": _mib(reports[0]),
                        "json_mib": _mib(reports[1]),
                        "leaked": [r.name for r in reports if r.exists() and CANARY.encode() in r.read_bytes()],
                    }
                )
                print(_row(rows[-1]), flush=True)
                for report in reports:
                    report.unlink(missing_ok=True)
        if args.keep is None:
            for file in workdir.iterdir():
                file.unlink()
            workdir.rmdir()
    print()
    print(f"preflight check --from {args.source} --to {args.target}, HTML and JSON reports")
    print(
        "| services | objects | input | traffic | size MiB | C parse s | orjson s | check s | ratio to C | µs/object "
        "| C parse CPU s | check CPU s | CPU ratio | CPU µs/object | peak MiB | JSON report MiB |"
    )
    print("| " + " | ".join(["---:"] * 2 + ["---"] * 2 + ["---:"] * 12) + " |")
    for row in rows:
        orjson_cell = f"{row['orjson']:.2f}" if row["orjson"] is not None else "-"
        print(
            f"| {row['services']} | {row['objects']} | {row['input']} | {row['traffic']} | {row['mib']:.0f} "
            f"| {row['parse']:.2f} | {orjson_cell} | {row['check']:.2f} | {row['ratio']:.2f} "
            f"| {row['us_per_object']:.0f} | {row['parse_cpu']:.2f} | {row['cpu']:.2f} | {row['cpu_ratio']:.2f} "
            f"| {row['cpu_us_per_object']:.0f} | {row['peak']:.0f} | {row['json_mib']:.1f} |"
        )
    if any(row["leaked"] for row in rows):
        print("SECRET CANARY FOUND IN:", [row["leaked"] for row in rows if row["leaked"]])


def _mib(path: Path) -> float:
    return path.stat().st_size / 2**20 if path.exists() else 0.0


def _row(row: Mapping[str, object]) -> str:
    return " ".join(
        f"{key}={value:.2f}" if isinstance(value, float) else f"{key}={value}"
        for key, value in row.items()
        if key != "leaked" or value
    )


if __name__ == "__main__":
    main()
