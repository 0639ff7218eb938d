"""Building snapshots and detector contexts in tests: from hand-written YAML, or from builders.

The builders write the documents most tests repeat (an istiod Deployment, namespaces,
the httpbin and curl samples) so a test spells out only what it is about:
``cluster(istiod_env={"PILOT_X": "false"}, policies=POLICY)`` is the sample mesh with one
flag and one policy. Each builder returns YAML text; ``cluster()`` loads it like a file.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.registry import get
from preflight.istio.cluster import build_cluster
from preflight.snapshot.interface import SnapshotInfo
from preflight.snapshot.loader import LoadOptions, _load_bytes, _LoadState
from preflight.snapshot.model import Snapshot
from preflight.versions import parse_version, upgrade_path

KNOWN_MINORS = [f"1.{n}" for n in range(10, 32)]


def snapshot_from_yaml(text: str, name: str = "fixture.yaml") -> Snapshot:
    """A snapshot from multi-document YAML (dedented), loaded exactly as files are."""
    state = _LoadState()
    _load_bytes(name, textwrap.dedent(text).encode(), LoadOptions(), state)
    info = SnapshotInfo(sources=(name,), kubernetes_version=state.kubernetes_version, manifest=state.manifest)
    return Snapshot(state.objects, info)


def context_from_yaml(text: str, source: str = "1.20.0", target: str = "1.22.0") -> DetectorContext:
    snapshot = snapshot_from_yaml(text)
    path = upgrade_path(parse_version(source), parse_version(target), KNOWN_MINORS)
    return DetectorContext(build_cluster(snapshot), path)


def run_detector(name: str, text: str, params: Mapping[str, object] | None = None, **versions: str) -> list[Hit]:
    context = context_from_yaml(text, **versions)
    return list(get(name).detect(context, params or {}))


ISTIOD_VERSION = "1.20.0"  # the version ``context_from_yaml`` checks from by default
INJECTED = {"istio-injection": "enabled"}


def documents(*parts: str | Mapping[str, Any] | None) -> str:
    """Multi-document YAML from YAML texts (dedented) and mappings; empty parts are skipped."""
    texts = []
    for part in parts:
        if not part:
            continue
        text = yaml.safe_dump(dict(part), sort_keys=False) if isinstance(part, Mapping) else textwrap.dedent(part)
        text = text.strip().removeprefix("---").strip()
        if text:
            texts.append(text)
    return "---\n" + "\n---\n".join(texts) + "\n"


def istiod(
    version: str = ISTIOD_VERSION,
    *,
    revision: str | None = None,
    namespace: str = "istio-system",
    env: Mapping[str, str] | None = None,
    mesh: str | None = None,
    image: str | None = None,
) -> str:
    """An istiod Deployment (container ``discovery``), and its mesh ConfigMap when ``mesh`` is given.

    ``revision`` names a revisioned istiod (``istiod-<rev>``, labelled ``istio.io/rev``);
    ``mesh`` is the ``data.mesh`` text of ``istio`` (or ``istio-<rev>``).
    """
    labels = {"app": "istiod", **({"istio.io/rev": revision} if revision else {})}
    container: dict[str, Any] = {"name": "discovery", "image": image or f"docker.io/istio/pilot:{version}"}
    if env:
        container["env"] = [{"name": name, "value": value} for name, value in env.items()]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"istiod-{revision}" if revision else "istiod", "namespace": namespace, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }
    config = None
    if mesh is not None:
        config = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"istio-{revision}" if revision else "istio", "namespace": namespace},
            "data": {"mesh": textwrap.dedent(mesh).strip() + "\n"},
        }
    return documents(deployment, config)


def namespace(name: str, labels: Mapping[str, str] | None = None) -> str:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    return documents({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})


def workload(
    name: str,
    namespace: str = "default",
    *,
    image: str | None = None,
    port: int = 80,
    service_port: int | None = 8000,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    service_account: str | None = None,
) -> str:
    """A Deployment labelled ``app: <name>`` and, unless ``service_port`` is None, its Service.

    ``labels`` and ``annotations`` go on the pod template, beside ``app``.
    """
    pod_labels = {"app": name, **(labels or {})}
    container = {"name": name, "image": image or f"example/{name}:1", "ports": [{"containerPort": port}]}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": pod_labels, **({"annotations": dict(annotations)} if annotations else {})},
                "spec": {
                    "serviceAccountName": service_account or name,
                    "containers": [container],
                },
            },
        },
    }
    service = None
    if service_port is not None:
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": service_port, "targetPort": port}]},
        }
    return documents(deployment, service)


def httpbin(namespace: str = "default") -> str:
    """Istio's httpbin sample: port 80 behind Service port 8000, service account ``httpbin``."""
    return workload("httpbin", namespace, image="docker.io/kennethreitz/httpbin", port=80, service_port=8000)


def curl(namespace: str = "default") -> str:
    """Istio's curl sample (the caller): service account ``curl``, no Service of its own."""
    return workload("curl", namespace, image="curlimages/curl", service_port=None)


def cluster_yaml(
    *,
    namespaces: Mapping[str, Mapping[str, str]] | Iterable[str] = ("default",),
    istiod_version: str | None = ISTIOD_VERSION,
    istiod_env: Mapping[str, str] | None = None,
    mesh: str | None = None,
    workloads: Sequence[str] = ("httpbin", "curl"),
    injected: bool = True,
    policies: str = "",
    extra: str = "",
) -> str:
    """The sample mesh: istiod, namespaces (labelled for injection unless ``injected=False``), httpbin and curl.

    ``namespaces`` is a list of names or a mapping of names to their labels (used as given);
    ``istiod_version=None`` leaves istiod out; ``workloads`` are placed in the first namespace
    (``httpbin`` and ``curl`` are the samples, any other name a plain workload with a Service);
    ``policies`` and ``extra`` are YAML appended as written.
    """
    if isinstance(namespaces, Mapping):
        labelled = {name: dict(labels) for name, labels in namespaces.items()}
    else:
        labelled = {name: dict(INJECTED) if injected else {} for name in namespaces}
    home = next(iter(labelled), "default")
    samples = {"httpbin": httpbin, "curl": curl}
    return documents(
        istiod(istiod_version, env=istiod_env, mesh=mesh) if istiod_version is not None else None,
        *(namespace(name, labels) for name, labels in labelled.items()),
        *(samples[name](home) if name in samples else workload(name, home) for name in workloads),
        policies,
        extra,
    )


def cluster(**overrides: Any) -> Snapshot:
    """``cluster_yaml(**overrides)`` loaded as a snapshot."""
    return snapshot_from_yaml(cluster_yaml(**overrides))
