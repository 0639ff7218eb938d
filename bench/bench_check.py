"""Benchmark the whole ``preflight check`` against PyYAML's C loader merely parsing the same snapshot.

    python bench/bench_check.py [--sizes 1000,5000,20000] [--from 1.20] [--to 1.31] [--keep DIR]

For each size N it generates a cluster of N services (``bench/generate_cluster.py``:
Namespaces, Services, Deployments, Pods, VirtualServices, DestinationRules,
AuthorizationPolicies, ServiceEntries, Sidecars, PeerAuthentications, an istiod) and a
Prometheus answer with about six callers per service, writes it as ``kubectl get -o json``
(``cluster.json``) and as ``kubectl get -o yaml`` (``cluster.yaml``), then reports:

* ``parse``: seconds ``yaml.load(file, CSafeLoader)`` takes on that file, nothing else;
* ``check``: seconds of ``python -m preflight check FILE --output report.html --output
  report.json`` in a fresh process (interpreter start, load, engine, simulation when the
  CLI has ``--traffic``, HTML and JSON rendering, atomic writes);
* ``ratio`` = check / parse (the target is <= 1.0), ``µs/object`` of the check, and the
  check process's peak resident memory.

It never asserts anything: speed is read by a person, not gated by a timed test. It also
confirms the canary env value of the generated Pods never reaches a report.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_cluster import prometheus_result, snapshot_list

SERVICES_PER_NAMESPACE = 40
CANARY = "not-for-reports"  # an env value the generator puts in every Pod


_PARSE = """
import sys, time, yaml
started = time.perf_counter()
with open(sys.argv[1], "rb") as stream:
    yaml.load(stream, Loader=yaml.CSafeLoader)
print(time.perf_counter() - started)
"""


def parse_seconds(path: Path) -> float:
    """PyYAML's C loader parsing the file, as a user calls it, in a process of its own.

    Parsing in this process would leave it large, and a check started from a large process
    reports the parent's resident size as its own peak (Linux keeps the high-water mark
    across exec), so each measurement gets a fresh interpreter.
    """
    result = subprocess.run(
        [sys.executable, "-c", _PARSE, str(path)], capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip())


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


def check_run(command: list[str]) -> tuple[float, int, float, str]:
    """Wall seconds, exit code, peak RSS in MiB and stderr of ``preflight <command>`` in a fresh process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", _CHECK, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, stderr_bytes = process.communicate()
    seconds = time.perf_counter() - started
    stderr = stderr_bytes.decode("utf-8", "replace")
    peaks = [line.split("=", 1)[1] for line in stderr.splitlines() if line.startswith("PREFLIGHT_BENCH_PEAK_KIB=")]
    peak = int(peaks[-1]) / 1024 if peaks else float("nan")
    return seconds, process.returncode, peak, stderr


def cli_has_option(option: str) -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "preflight", "check", "--help"], capture_output=True, text=True, check=False
    )
    return option in result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,20000", help="comma-separated service counts")
    parser.add_argument("--from", dest="source", default="1.20")
    parser.add_argument("--to", dest="target", default="1.31")
    parser.add_argument("--keep", type=Path, help="keep generated files and reports here")
    args = parser.parse_args()

    traffic = cli_has_option("--traffic")
    quiet = cli_has_option("--quiet")
    rows = []
    for size in (int(part) for part in args.sizes.split(",")):
        namespaces = math.ceil(size / SERVICES_PER_NAMESPACE)
        services = namespaces * SERVICES_PER_NAMESPACE
        workdir = Path(tempfile.mkdtemp(prefix=f"preflight-bench-{services}-", dir=args.keep))
        snapshot = snapshot_list(namespaces, SERVICES_PER_NAMESPACE)
        objects = len(snapshot["items"])
        (workdir / "cluster.json").write_text(json.dumps(snapshot, indent=2))
        with (workdir / "cluster.yaml").open("w") as stream:
            yaml.dump(snapshot, stream, Dumper=yaml.CSafeDumper, sort_keys=False)
        (workdir / "traffic.json").write_text(json.dumps(prometheus_result(namespaces, SERVICES_PER_NAMESPACE)))
        del snapshot
        for flavour in ("json", "yaml"):
            path = workdir / f"cluster.{flavour}"
            parse = parse_seconds(path)
            command = [
                "check", str(path), "--from", args.source, "--to", args.target,
                "--no-timestamp", "--output", str(workdir / f"report-{flavour}.html"),
                "--output", str(workdir / f"report-{flavour}.json"),
            ]  # fmt: skip
            if traffic:
                command += ["--traffic", str(workdir / "traffic.json")]
            if quiet:
                command.append("--quiet")
            seconds, code, peak, stderr = check_run(command)
            if code not in (0, 1):
                print(f"check failed with exit code {code}: {stderr.strip()}", file=sys.stderr)
            leaked = [
                name for name in (f"report-{flavour}.html", f"report-{flavour}.json")
                if (workdir / name).exists() and CANARY in (workdir / name).read_text()
            ]  # fmt: skip
            rows.append(
                {
                    "services": services,
                    "objects": objects,
                    "input": flavour,
                    "mib": path.stat().st_size / 2**20,
                    "parse": parse,
                    "check": seconds,
                    "ratio": seconds / parse,
                    "us_per_object": seconds / objects * 1e6,
                    "peak": peak,
                    "html_mib": (workdir / f"report-{flavour}.html").stat().st_size / 2**20
                    if (workdir / f"report-{flavour}.html").exists()
                    else 0.0,
                    "leaked": leaked,
                }
            )
            print(_row(rows[-1]), flush=True)
        if args.keep is None:
            for file in workdir.iterdir():
                file.unlink()
            workdir.rmdir()
    print()
    print(f"preflight check --from {args.source} --to {args.target}" + (" --traffic" if traffic else " (no --traffic)"))
    print(
        "| services | objects | input | size MiB | C-loader parse s | check s | ratio | µs/object "
        "| peak MiB | html MiB |"
    )
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['services']} | {row['objects']} | {row['input']} | {row['mib']:.0f} | {row['parse']:.2f} "
            f"| {row['check']:.2f} | {row['ratio']:.2f} | {row['us_per_object']:.0f} | {row['peak']:.0f} "
            f"| {row['html_mib']:.1f} |"
        )
    if any(row["leaked"] for row in rows):
        print("SECRET CANARY FOUND IN:", [row["leaked"] for row in rows if row["leaked"]])


def _row(row: Mapping[str, object]) -> str:
    return " ".join(
        f"{key}={value:.2f}" if isinstance(value, float) else f"{key}={value}"
        for key, value in row.items()
    )


if __name__ == "__main__":
    main()
