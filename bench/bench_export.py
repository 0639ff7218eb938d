"""Benchmark ``preflight snapshot`` on a large generated cluster: export time and memory, then load time.

    python bench/bench_export.py [--services 20000] [--outputs dir,json,yaml] [--chunk-size 500] [--keep DIR]

The cluster is ``bench/generate_cluster.py``'s (Namespaces, Deployments, Services, Pods,
AuthorizationPolicies, PeerAuthentications, VirtualServices, DestinationRules,
ServiceEntries, Sidecars, an istiod), served page by page by an in-process stand-in for
kubectl that generates each page when it is asked for, so the export's own memory is what
is measured. Each output form (``dir``: a snapshot directory; ``json``/``yaml``: one file)
is exported in a fresh process, then loaded by ``load_snapshot`` in another; each line
reports wall seconds and peak resident memory of both, and the snapshot's size on disk.

To compare with an earlier version, run it with that version first on the path
(``PYTHONPATH=/path/to/old/checkout``); outputs that version does not know are reported
as failed. It never asserts anything: speed is read by a person, not gated by a timed test.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

# Appended, not prepended: an earlier checkout on PYTHONPATH must win for comparisons.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.generate_cluster import cluster_documents, mesh_documents
from preflight.export.kubectl import ApiRefusal, Kubectl

SERVICES_PER_NAMESPACE = 40
# (group, version, plural, kind, namespaced) of every kind the generator writes.
SERVED = (
    ("", "v1", "namespaces", "Namespace", False),
    ("", "v1", "services", "Service", True),
    ("", "v1", "pods", "Pod", True),
    ("", "v1", "configmaps", "ConfigMap", True),
    ("apps", "v1", "deployments", "Deployment", True),
    ("security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy", True),
    ("security.istio.io", "v1", "peerauthentications", "PeerAuthentication", True),
    ("networking.istio.io", "v1", "virtualservices", "VirtualService", True),
    ("networking.istio.io", "v1", "destinationrules", "DestinationRule", True),
    ("networking.istio.io", "v1", "serviceentries", "ServiceEntry", True),
    ("networking.istio.io", "v1", "sidecars", "Sidecar", True),
)


class GeneratedCluster(Kubectl):
    """Answers ``get --raw`` from the generator, one page at a time, never holding a whole list."""

    def __init__(self, namespaces: int) -> None:
        super().__init__("kubectl-generated")
        self.namespaces = namespaces
        self._open_lists: dict[str, Iterator[dict[str, Any]]] = {}
        self._tokens = itertools.count(1)

    def identity(self) -> tuple[str | None, str | None, str | None]:
        return "bench", "bench-cluster", "https://bench.example.com:6443"

    def get_json(self, path: str) -> Any:
        url = urlsplit(path)
        if url.path == "/version":
            return {"gitVersion": "v1.29.4"}
        if url.path == "/api/v1":
            return {"resources": self._resources("")}
        if url.path == "/apis":
            groups = sorted({group for group, *_ in SERVED if group})
            return {
                "groups": [
                    {"name": g, "versions": [{"version": "v1"}], "preferredVersion": {"version": "v1"}} for g in groups
                ]
            }
        for group, version, plural, kind, _ in SERVED:
            root = f"/apis/{group}/{version}" if group else f"/api/{version}"
            if group and url.path == root:
                return {"resources": self._resources(group)}
            if url.path == f"{root}/{plural}" or (
                url.path.startswith(f"{root}/namespaces/") and url.path.endswith(f"/{plural}")
            ):
                return self._page(url.query, kind)
        raise ApiRefusal("NotFound", f"the server could not find the requested resource ({path})")

    def _resources(self, group: str) -> list[dict[str, Any]]:
        return [
            {"name": plural, "kind": kind, "namespaced": namespaced, "verbs": ["get", "list"]}
            for g, _, plural, kind, namespaced in SERVED
            if g == group
        ]

    def _page(self, query: str, kind: str) -> dict[str, Any]:
        arguments = parse_qs(query)
        limit = int(arguments["limit"][0])
        token = arguments.get("continue", [""])[0]
        objects = self._open_lists.pop(token, None) if token else self._objects(kind)
        assert objects is not None, f"unknown continue token {token}"
        items = []
        for body in itertools.islice(objects, limit):
            body = dict(body)
            del body["apiVersion"], body["kind"]  # as list items come from the API server
            items.append(body)
        metadata: dict[str, Any] = {}
        if len(items) == limit:
            token = f"t{next(self._tokens)}"
            self._open_lists[token] = objects
            metadata["continue"] = token
        return {"apiVersion": "v1", "kind": f"{kind}List", "metadata": metadata, "items": items}

    def _objects(self, kind: str) -> Iterator[dict[str, Any]]:
        everything = itertools.chain(
            cluster_documents(self.namespaces, SERVICES_PER_NAMESPACE),
            mesh_documents(self.namespaces, SERVICES_PER_NAMESPACE),
        )
        return (body for body in everything if body["kind"] == kind)


def child_export(output: Path, namespaces: int, chunk_size: int) -> None:
    from preflight.export.exporter import export_snapshot
    from preflight.export.interface import ExportRequest

    result = export_snapshot(ExportRequest(output, chunk_size=chunk_size), kubectl=GeneratedCluster(namespaces))
    print(json.dumps({"objects": result.object_count}))


def child_load(output: Path) -> None:
    from preflight.snapshot.loader import load_snapshot

    snapshot = load_snapshot([str(output)])
    print(json.dumps({"objects": len(snapshot), "cluster": snapshot.info.cluster_name}))


def timed(arguments: list[str]) -> tuple[float, float, dict[str, Any] | str]:
    """Wall seconds, peak RSS in MiB, and the JSON it printed (or its last error line) of one child."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, __file__, *arguments], stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)  # reaped here, so its own peak memory is known
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        printed, errors = stdout.read(), stderr.read()
    peak = usage.ru_maxrss / 1024
    if process.returncode != 0:
        lines = errors.decode("utf-8", "replace").strip().splitlines()
        return seconds, peak, lines[-1] if lines else f"exit {process.returncode}"
    return seconds, peak, json.loads(printed)


def size_of(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / (1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=20_000)
    parser.add_argument("--outputs", default="dir,json,yaml", help="comma-separated: dir, json, yaml")
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="write the snapshots here and keep them")
    parser.add_argument("--child", choices=("export", "load"), help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    namespaces = max(1, args.services // SERVICES_PER_NAMESPACE)
    if args.child == "export":
        child_export(args.path, namespaces, args.chunk_size)
        return
    if args.child == "load":
        child_load(args.path)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{namespaces * SERVICES_PER_NAMESPACE} services; chunk size {args.chunk_size}; snapshots in {work}")
    print(f"{'output':<8}{'objects':>9}{'MiB':>8}{'export s':>10}{'export RSS':>12}{'load s':>9}{'load RSS':>10}")
    for form in args.outputs.split(","):
        output = work / {"dir": "snapshot", "json": "snapshot.json", "yaml": "snapshot.yaml"}[form]
        flags = ["--services", str(args.services), "--chunk-size", str(args.chunk_size), "--path", str(output)]
        export_s, export_rss, exported = timed(["--child", "export", *flags])
        if not isinstance(exported, dict):
            print(f"{form:<8} export failed: {exported}")
            continue
        load_s, load_rss, loaded = timed(["--child", "load", *flags])
        if not isinstance(loaded, dict) or loaded["objects"] != exported["objects"]:
            print(f"{form:<8} load failed or lost objects: {loaded}")
            continue
        print(
            f"{form:<8}{exported['objects']:>9}{size_of(output):>8.1f}{export_s:>10.1f}{export_rss:>10.0f}Mi"
            f"{load_s:>9.2f}{load_rss:>8.0f}Mi"
        )


if __name__ == "__main__":
    main()
