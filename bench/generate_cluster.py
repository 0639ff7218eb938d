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


# The whole-check benchmark (bench/bench_check.py) -----------------------------------------
# A check reads every kind the detectors and the scoping read, and real exports carry Pods
# with their status; these add them to ``cluster_documents`` so load and engine see a
# cluster shaped like ``kubectl get -o json`` output.


def mesh_documents(namespaces: int, services: int, seed: int = 13) -> Iterator[dict[str, Any]]:
    """VirtualServices, DestinationRules, ServiceEntries, Sidecars and one running Pod per service."""
    rng = random.Random(seed)
    for n in range(namespaces):
        ns = f"team-{n:03d}"
        yield {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
               "metadata": {"name": "default", "namespace": ns},
               "spec": {"egress": [{"hosts": ["./*", "istio-system/*", f"team-{(n + 1) % namespaces:03d}/*"]}]}}
        yield {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
               "metadata": {"name": "payments-api", "namespace": ns},
               "spec": {"hosts": [f"api-{n}.partner.example.com"], "location": "MESH_EXTERNAL",
                        "resolution": "DNS", "ports": [{"number": 443, "name": "https", "protocol": "TLS"}]}}
        for s in range(services):
            name = f"svc-{s:03d}"
            host = f"{name}.{ns}.svc.cluster.local"
            yield {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                   "metadata": {"name": name, "namespace": ns,
                                "creationTimestamp": f"2024-0{1 + s % 9}-1{n % 10}T09:00:00Z"},
                   "spec": {"hosts": [host], "http": [
                       {"match": [{"uri": {"prefix": "/v2"}}],
                        "route": [{"destination": {"host": host, "subset": "v2"}}], "timeout": "5s"},
                       {"route": [{"destination": {"host": host, "subset": "v1"}, "weight": 90},
                                  {"destination": {"host": host, "subset": "v2"}, "weight": 10}],
                        "retries": {"attempts": 3, "perTryTimeout": "2s"}},
                   ]}}
            tls = {"mode": "ISTIO_MUTUAL"} if s % 5 else {"mode": "SIMPLE"}
            yield {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
                   "metadata": {"name": name, "namespace": ns},
                   "spec": {"host": host,
                            "trafficPolicy": {"tls": tls, "connectionPool": {"http": {"maxRequestsPerConnection": 10}}},
                            "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                                        {"name": "v2", "labels": {"version": "v2"}}]}}
            if s % 10 == 0:
                yield {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
                       "metadata": {"name": f"{name}-db", "namespace": ns},
                       "spec": {"hosts": [f"{name}-db.{ns}.internal"], "addresses": [f"10.{n % 250}.{s}.0/24"],
                                "location": "MESH_INTERNAL", "resolution": "STATIC",
                                "ports": [{"number": 5432, "name": "tcp-postgres", "protocol": "TCP"}],
                                "endpoints": [{"address": f"10.{n % 250}.{s}.{i}"} for i in range(1, 4)]}}
            yield _pod(ns, name, rng)


def _pod(ns: str, name: str, rng: random.Random) -> dict[str, Any]:
    suffix = f"{rng.getrandbits(40):010x}"
    proxy = {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.20.3",
             "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
             "env": [{"name": "ISTIO_META_WORKLOAD_NAME", "value": name},
                     {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
             "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}},
             "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021}, "periodSeconds": 15}}
    app = {"name": "app", "image": f"registry.example.com/{ns}/{name}:1.{rng.randrange(30)}.0",
           "ports": [{"containerPort": 8080, "name": "http"}],
           "env": [{"name": "DATABASE_PASSWORD", "value": "not-for-reports"}, {"name": "LOG_LEVEL", "value": "info"}],
           "livenessProbe": {"httpGet": {"path": "/app-health/app/livez", "port": 15020}}}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"{name}-{suffix}", "namespace": ns, "labels": {"app": name, "version": "v1"},
                     "annotations": {"sidecar.istio.io/status": '{"containers":["istio-proxy"]}'},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{name}-7d9f8"}],
                     "uid": f"{rng.getrandbits(64):016x}", "creationTimestamp": "2024-01-15T09:00:00Z"},
        "spec": {"serviceAccountName": name, "containers": [app, proxy], "initContainers": [
            {"name": "istio-init", "image": "docker.io/istio/proxyv2:1.20.3",
             "args": ["istio-iptables", "-p", "15001"]}]},
        "status": {"phase": "Running", "podIP": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
                   "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0},
                                         {"name": "istio-proxy", "ready": True, "restartCount": 0}]},
    }


def prometheus_result(namespaces: int, services: int, callers: int = 6, seed: int = 17) -> dict[str, Any]:
    """An ``istio_requests_total`` instant-query answer: ``callers`` distinct callers per service."""
    rng = random.Random(seed)
    samples = []
    for n in range(namespaces):
        for s in range(services):
            for _ in range(callers):
                src_ns, src = f"team-{rng.randrange(namespaces):03d}", f"svc-{rng.randrange(services):03d}"
                samples.append({"metric": {
                    "reporter": "destination", "source_workload": src, "source_workload_namespace": src_ns,
                    "source_principal": f"spiffe://cluster.local/ns/{src_ns}/sa/{src}",
                    "destination_workload": f"svc-{s:03d}", "destination_workload_namespace": f"team-{n:03d}",
                    "destination_service": f"svc-{s:03d}.team-{n:03d}.svc.cluster.local",
                    "destination_service_name": f"svc-{s:03d}", "destination_service_namespace": f"team-{n:03d}",
                    "request_protocol": "http", "connection_security_policy": "mutual_tls",
                    "destination_port": "8080"}, "value": [1732615200, str(rng.randrange(1, 90_000))]})
    return {"status": "success", "data": {"resultType": "vector", "result": samples}}


def snapshot_list(namespaces: int, services: int) -> dict[str, Any]:
    """The whole generated cluster as one ``kind: List``, as ``kubectl get -o json`` writes it."""
    items = [*cluster_documents(namespaces, services), *mesh_documents(namespaces, services)]
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


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
