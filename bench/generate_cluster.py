"""Generate a large synthetic cluster snapshot and the traffic over it, for benchmarks.

    python bench/generate_cluster.py OUT_DIR [--namespaces 50] [--services 40] [--edges 100000]

Writes OUT_DIR/cluster.yaml (Namespaces, Deployments, Services, AuthorizationPolicies,
PeerAuthentications, an istiod Deployment) and OUT_DIR/edges.yaml (an edge list). The
same generator is used in memory by ``bench/bench_simulate.py``.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from preflight.traffic.interface import Destination, Edge, Mtls, Origin, Source


def cluster_documents(namespaces: int, services: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    istiod = {"containers": [{"name": "discovery", "image": "docker.io/istio/pilot:1.20.3"}]}
    yield {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod"}},
        "spec": {"template": {"metadata": {"labels": {"app": "istiod"}}, "spec": istiod}},
    }
    yield {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
           "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "PERMISSIVE"}}}
    for n in range(namespaces):
        ns = f"team-{n:03d}"
        labels = {"istio-injection": "enabled"} if n % 10 else {"istio.io/dataplane-mode": "ambient"}
        yield {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
        if n % 3 == 0:
            yield {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                   "metadata": {"name": "strict", "namespace": ns}, "spec": {"mtls": {"mode": "STRICT"}}}
        for s in range(services):
            name = f"svc-{s:03d}"
            yield {
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
                "spec": {"template": {"metadata": {"labels": {"app": name, "tier": f"t{s % 4}"}},
                                      "spec": {"serviceAccountName": name,
                                               "containers": [{"name": "app", "ports": [{"containerPort": 8080}]}]}}},
            }
            yield {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                   "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}}
            if s % 2 == 0:
                callers = [f"cluster.local/ns/team-{rng.randrange(namespaces):03d}/sa/svc-{rng.randrange(services):03d}"
                           for _ in range(3)]
                yield {
                    "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                    "metadata": {"name": f"{name}-allow", "namespace": ns},
                    "spec": {"selector": {"matchLabels": {"app": name}}, "rules": [
                        {"from": [{"source": {"principals": callers}}], "to": [{"operation": {"ports": ["8080"]}}]},
                        {"from": [{"source": {"namespaces": [ns]}}], "to": [{"operation": {"methods": ["GET"]}}]},
                    ]},
                }
        yield {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
               "metadata": {"name": "deny-admin", "namespace": ns},
               "spec": {"action": "DENY", "rules": [{"to": [{"operation": {"paths": ["/admin/*"]}}]}]}}


def edges(namespaces: int, services: int, count: int, seed: int = 11) -> list[Edge]:
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        src_ns, dst_ns = f"team-{rng.randrange(namespaces):03d}", f"team-{rng.randrange(namespaces):03d}"
        protocol = rng.choice(("http", "http", "grpc", "tcp"))
        http = protocol != "tcp"
        found.append(Edge(
            Source(src_ns, f"svc-{rng.randrange(services):03d}", in_mesh=True),
            Destination(dst_ns, f"svc-{rng.randrange(services):03d}", service_port=80),
            protocol,
            rng.randrange(0, 50_000),
            method=rng.choice(("GET", "POST")) if http else None,
            path=rng.choice(("/api/v1/items", "/admin/users", "/healthz")) if http else None,
            mtls=rng.choice((Mtls.MUTUAL, Mtls.UNKNOWN)),
            origin=Origin.PROMETHEUS,
        ))
    return found


def _edge_record(edge: Edge) -> dict[str, Any]:
    """One row in the edge-list format ``preflight.traffic.edgelist`` reads."""
    record: dict[str, Any] = {
        "source": f"{edge.source.namespace}/{edge.source.workload}",
        "destination": f"{edge.destination.namespace}/{edge.destination.service}",
        "port": edge.destination.service_port,
        "protocol": edge.protocol,
        "requests": edge.requests,
        "mtls": edge.mtls.value,
    }
    if edge.method:
        record["method"] = edge.method
    if edge.path:
        record["path"] = edge.path
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--services", type=int, default=40)
    parser.add_argument("--edges", type=int, default=100_000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "cluster.yaml").open("w") as handle:
        yaml.safe_dump_all(cluster_documents(args.namespaces, args.services), handle, sort_keys=False)
    records = [_edge_record(e) for e in edges(args.namespaces, args.services, args.edges)]
    with (args.out / "edges.yaml").open("w") as handle:
        yaml.safe_dump({"edges": records}, handle, sort_keys=False)
    print(f"wrote {args.out}/cluster.yaml and {args.out}/edges.yaml ({len(records)} edges)")


if __name__ == "__main__":
    main()
