"""The proxy settings a workload's sidecar or gateway proxy runs with.

A proxy's ``ProxyConfig`` is the mesh-wide ``meshConfig.defaultConfig`` of its revision,
overridden in turn (each key of the agent environment on its own) by a ``ProxyConfig``
resource of the root namespace without selector, one of the workload's namespace without
selector, the pod annotation ``proxy.istio.io/config`` (a YAML ``ProxyConfig`` whose
``proxyMetadata`` sets agent environment variables) and, strongest, a ``ProxyConfig`` of the
workload's namespace whose ``selector`` matches it. At each level only the oldest resource
counts (creation time, then name), as istiod picks one rather than merging them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from preflight import safe_yaml
from preflight.istio.selectors import matches_labels, workload_selector_labels
from preflight.snapshot.interface import K8sObject, Workload, mapping_at, string_map
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
        parsed = safe_yaml.load(text)
    except yaml.YAMLError:
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def workload_proxy_env(workload: Workload, snapshot: Snapshot, root_namespace: str) -> Mapping[str, str]:
    """Agent environment variables set for this workload by ProxyConfig resources or its annotation.

    Mesh-wide ``defaultConfig.proxyMetadata`` is not included: it is a revision setting,
    which the engine reads as a mitigation.
    """
    mesh_wide: K8sObject | None = None
    namespace_wide: K8sObject | None = None
    selecting: K8sObject | None = None
    for config in sorted(snapshot.of_kind("ProxyConfig"), key=lambda c: (c.creation_timestamp, c.name)):
        selector = workload_selector_labels(config.spec)
        # A selector with no labels selects neither the namespace nor any workload.
        namespace_level = config.spec.get("selector") is None
        if config.namespace == root_namespace and namespace_level:
            mesh_wide = mesh_wide or config
        if config.namespace != workload.namespace:
            continue
        if namespace_level:
            if config.namespace != root_namespace:
                namespace_wide = namespace_wide or config
        elif selector is not None and matches_labels(selector, workload.pod_labels):
            selecting = selecting or config
    env: dict[str, str] = {}
    for level in (mesh_wide, namespace_wide):
        if level is not None:
            env.update(string_map(level.spec.get("environmentVariables")))
    env.update(string_map(mapping_at(annotation_proxy_config(workload), "proxyMetadata")))
    if selecting is not None:
        env.update(string_map(selecting.spec.get("environmentVariables")))
    return env
