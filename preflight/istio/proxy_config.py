"""The proxy settings a workload's sidecar or gateway proxy runs with.

A proxy's ``ProxyConfig`` is the mesh-wide ``meshConfig.defaultConfig`` of its revision,
overridden by ``ProxyConfig`` resources (``spec.environmentVariables``; root namespace
for the mesh, a namespace without selector for the namespace, with ``selector`` for the
workloads it matches) and, last, by the pod annotation ``proxy.istio.io/config`` (a
YAML ``ProxyConfig`` whose ``proxyMetadata`` sets agent environment variables).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from preflight.istio.selectors import matches_labels, workload_selector_labels
from preflight.snapshot.interface import Workload, mapping_at, string_map
from preflight.snapshot.model import Snapshot

PROXY_CONFIG_ANNOTATION = "proxy.istio.io/config"


def annotation_proxy_config(workload: Workload) -> Mapping[str, Any]:
    """The pod's ``proxy.istio.io/config`` annotation parsed; empty when absent or unreadable.

    An unreadable annotation is rejected by the injector, so the pod runs with the mesh
    defaults: treating it as empty is what the proxy does.
    """
    text = workload.pod_annotations.get(PROXY_CONFIG_ANNOTATION)
    if not text:
        return {}
    try:
        parsed = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def workload_proxy_env(workload: Workload, snapshot: Snapshot, root_namespace: str) -> Mapping[str, str]:
    """Agent environment variables set for this workload by ProxyConfig resources or its annotation.

    Mesh-wide ``defaultConfig.proxyMetadata`` is not included: it is a revision setting,
    which the engine reads as a mitigation.
    """
    env: dict[str, str] = {}
    scoped = []
    for config in snapshot.of_kind("ProxyConfig"):
        selector = workload_selector_labels(config.spec)
        if config.namespace == root_namespace and selector is None:
            scoped.append((0, config))
        elif config.namespace != workload.namespace:
            continue
        elif selector is None:
            scoped.append((1, config))
        elif matches_labels(selector, workload.pod_labels):
            scoped.append((2, config))
    for _, config in sorted(scoped, key=lambda item: item[0]):
        env.update(string_map(config.spec.get("environmentVariables")))
    env.update(string_map(mapping_at(annotation_proxy_config(workload), "proxyMetadata")))
    return env
